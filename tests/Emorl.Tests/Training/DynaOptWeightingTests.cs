using System;
using System.Linq;
using Emorl.Training;

namespace Emorl.Tests.Training;

public sealed class DynaOptWeightingTests
{
    private const double Gamma = 0.07;

    [Fact]
    public void WeightsStartAtOneBeforeAnyBoost()
    {
        var weighting = new DynaOptWeighting(3);

        Assert.Equal([1.0, 1.0, 1.0], weighting.RewardWeights);
        Assert.Null(weighting.CurrentArm);
    }

    [Fact]
    public void ThreeValidationsMatchHandComputation()
    {
        var weighting = new DynaOptWeighting(3, Gamma);

        // Begin: the arm bandit is uniform over 4 arms, so 0.1 draws arm 0 (reflection). Boost: the
        // weight bandit's p_0 = 1/3, so w_0 = exp(0.07 · (1 / (1/3)) / 3) = exp(0.07).
        int first = weighting.Begin(0.1);
        double w0 = Math.Exp(Gamma);
        Assert.Equal(0, first);
        AssertWeights(weighting, [w0, 1, 1]);

        // Validation 1: no history, so x = 0 and the arm bandit stays uniform; 0.9 draws "no change".
        double x1 = weighting.Observe([0.5, 0.4, 0.3], 0.9);
        Assert.Equal(0.0, x1);
        Assert.Equal(3, weighting.CurrentArm);
        AssertWeights(weighting, [w0, 1, 1]);

        // Validation 2: x = mean(0.1, 0, 0.2) = 0.1 on arm 3, whose p was 0.25, so
        // w_3 = exp(0.07 · 0.4 / 4). Then 0.3 falls in arm 1's interval.
        double x2 = weighting.Observe([0.6, 0.4, 0.5], 0.3);
        double armWeight3 = Math.Exp(Gamma * (0.1 / 0.25) / 4);
        Assert.Equal(0.1, x2, 12);
        Assert.Equal(armWeight3, weighting.ArmBandit.Weights[3], 12);
        double armTotal = 3 + armWeight3;
        double p0 = (1 - Gamma) / armTotal + Gamma / 4;
        Assert.True(p0 < 0.3, "0.3 must lie above arm 0's interval for this example");
        Assert.True(2 * p0 > 0.3, "0.3 must lie inside arm 1's interval for this example");
        Assert.Equal(1, weighting.CurrentArm);

        // Boost of arm 1 in the weight bandit, whose weights are (w0, 1, 1).
        double p1 = (1 - Gamma) * 1 / (w0 + 2) + Gamma / 3;
        double w1 = Math.Exp(Gamma * (1 / p1) / 3);
        AssertWeights(weighting, [w0, w1, 1]);
    }

    [Fact]
    public void SavedStateRestoresTheSameDraws()
    {
        var original = new DynaOptWeighting(3);
        original.Begin(0.2);
        original.Observe([0.2, 0.3, 0.4], 0.6);
        var resumed = new DynaOptWeighting(3);
        resumed.Restore(original.Save());

        original.Observe([0.3, 0.1, 0.5], 0.45);
        resumed.Observe([0.3, 0.1, 0.5], 0.45);

        Assert.Equal(original.CurrentArm, resumed.CurrentArm);
        Assert.Equal(original.RewardWeights, resumed.RewardWeights);
        Assert.Equal(original.ArmBandit.Weights, resumed.ArmBandit.Weights);
    }

    [Fact]
    public void ObserveBeforeBeginIsRejected()
    {
        var weighting = new DynaOptWeighting(2);

        Assert.Throws<InvalidOperationException>(() => weighting.Observe([0.1, 0.2], 0.5));
    }

    private static void AssertWeights(DynaOptWeighting weighting, double[] bandit)
    {
        double total = bandit.Sum();
        for (int k = 0; k < bandit.Length; k++)
        {
            Assert.Equal(bandit[k] / total, weighting.RewardWeights[k], 12);
        }
    }
}
