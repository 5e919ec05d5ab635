using System;
using System.Linq;
using Emorl.Models.T5;
using static TorchSharp.torch;

namespace Emorl.Tests.Models.T5;

[Collection("Torch")]
public sealed class T5RelativePositionTests
{
    [Theory]
    [InlineData(0, true, 0)]
    [InlineData(-1, true, 1)]
    [InlineData(1, true, 17)]
    [InlineData(-7, true, 7)]
    [InlineData(-8, true, 8)]
    [InlineData(-20, true, 10)]
    [InlineData(20, true, 26)]
    [InlineData(-200, true, 15)]
    [InlineData(3, false, 0)]
    [InlineData(-3, false, 3)]
    [InlineData(-15, false, 15)]
    [InlineData(-20, false, 17)]
    [InlineData(-1000, false, 31)]
    public void BucketMatchesHandComputedValue(long relative, bool bidirectional, long expected)
    {
        // 32 buckets, distance 128: exact buckets below 8 (bidirectional) or 16 (causal), then
        // bucket = exact + floor(log(d / exact) / log(128 / exact) · (half − exact)).
        using var positions = tensor(new[] { relative });

        using var buckets = T5RelativePosition.Buckets(positions, bidirectional, 32, 128);

        Assert.Equal(expected, buckets[0].item<long>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BucketsMatchScalarLoop(bool bidirectional)
    {
        long[] relative = Enumerable.Range(-300, 601).Select(i => (long)i).ToArray();
        using var positions = tensor(relative);

        using var buckets = T5RelativePosition.Buckets(positions, bidirectional, 32, 128);
        long[] actual = buckets.data<long>().ToArray();

        for (int i = 0; i < relative.Length; i++)
        {
            Assert.Equal(ScalarBucket(relative[i], bidirectional, 32, 128), actual[i]);
        }
    }

    internal static long ScalarBucket(long relative, bool bidirectional, int buckets, int maxDistance)
    {
        long offset = 0;
        long distance = Math.Max(-relative, 0);
        int half = buckets;
        if (bidirectional)
        {
            half = buckets / 2;
            offset = relative > 0 ? half : 0;
            distance = Math.Abs(relative);
        }

        int exact = half / 2;
        if (distance < exact)
        {
            return offset + distance;
        }

        float scaled = MathF.Log((float)distance / exact) / (float)Math.Log((double)maxDistance / exact) * (half - exact);
        return offset + Math.Min(exact + (long)scaled, half - 1);
    }
}
