using System;
using Emorl.Training;

namespace Emorl.Tests.Training;

public sealed class Exp3BanditTests
{
    [Fact]
    public void FreshBanditDrawsUniformly()
    {
        var bandit = new Exp3Bandit(4, gamma: 0.07);

        var probabilities = bandit.Probabilities();

        foreach (double p in probabilities)
        {
            Assert.Equal(0.25, p, 12);
        }

        Assert.Equal(0, bandit.Draw(0.0));
        Assert.Equal(1, bandit.Draw(0.3));
        Assert.Equal(3, bandit.Draw(0.99));
    }

    [Fact]
    public void UpdateMatchesHandComputation()
    {
        var bandit = new Exp3Bandit(3, gamma: 0.07);

        bandit.Update(1, reward: 0.6);
        bandit.Update(1, reward: -0.3);

        // First update: p_1 = 1/3, so w_1 = exp(0.07 · 0.6 · 3 / 3) = exp(0.042).
        double w1 = Math.Exp(0.042);
        // Second update: p_1 = 0.93 · w_1 / (2 + w_1) + 0.07 / 3.
        double p1 = 0.93 * w1 / (2 + w1) + 0.07 / 3;
        w1 *= Math.Exp(0.07 * (-0.3 / p1) / 3);
        Assert.Equal(1.0, bandit.Weights[0], 12);
        Assert.Equal(w1, bandit.Weights[1], 12);
        Assert.Equal(1.0, bandit.Weights[2], 12);
    }

    [Fact]
    public void ProbabilitiesMatchHandComputation()
    {
        var bandit = new Exp3Bandit(2, gamma: 0.1);
        bandit.Restore([3.0, 1.0]);

        var probabilities = bandit.Probabilities();

        Assert.Equal(0.9 * 0.75 + 0.05, probabilities[0], 12);
        Assert.Equal(0.9 * 0.25 + 0.05, probabilities[1], 12);
        Assert.Equal(0, bandit.Draw(0.72));
        Assert.Equal(1, bandit.Draw(0.73));
    }

    [Fact]
    public void InvalidGammaIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Exp3Bandit(3, gamma: 0));
    }
}
