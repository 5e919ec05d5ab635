using System;
using System.Linq;
using Emorl.Training;

namespace Emorl.Tests.Training;

public sealed class RunningRewardNormalizerTests
{
    [Fact]
    public void BatchedStatisticsEqualOneBatch()
    {
        double[] all = [1, 4, -2, 7, 0.5, 3, 3, -6];
        var split = new RunningRewardNormalizer();
        var whole = new RunningRewardNormalizer();

        split.Normalize(all[..3]);
        split.Normalize(all[3..5]);
        split.Normalize(all[5..]);
        whole.Normalize(all);

        double mean = all.Average();
        double variance = all.Sum(x => (x - mean) * (x - mean)) / all.Length;
        Assert.Equal(all.Length, split.State.Count);
        Assert.Equal(mean, split.State.Mean, 12);
        Assert.Equal(variance, split.Variance, 10);
        Assert.Equal(whole.State.Mean, split.State.Mean, 12);
        Assert.Equal(whole.Variance, split.Variance, 10);
    }

    [Fact]
    public void NormalizeUsesStatisticsIncludingTheBatch()
    {
        var normalizer = new RunningRewardNormalizer(clip: 10);
        normalizer.Normalize([2.0, 4.0]);

        var result = normalizer.Normalize([6.0]);

        // Seen: 2, 4, 6 → mean 4, population variance 8/3.
        Assert.Equal(2 / Math.Sqrt(8.0 / 3 + 1e-8), result[0], 9);
    }

    [Fact]
    public void NormalizedRewardsAreClipped()
    {
        var normalizer = new RunningRewardNormalizer(clip: 1.5);

        var result = normalizer.Normalize([0.0, 0.0, 0.0, 0.0, 10.0]);

        Assert.Equal(-0.5, result[0], 6);
        Assert.Equal(1.5, result[4], 12);
    }

    [Fact]
    public void RestoredStatisticsContinueTheStream()
    {
        var original = new RunningRewardNormalizer();
        original.Normalize([1.0, 2.0, 3.0]);
        var resumed = new RunningRewardNormalizer();
        resumed.Restore(original.State);

        var expected = original.Normalize([10.0]);
        var actual = resumed.Normalize([10.0]);

        Assert.Equal(expected[0], actual[0], 12);
    }
}
