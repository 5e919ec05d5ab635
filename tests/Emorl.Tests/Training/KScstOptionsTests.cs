using System;
using Emorl.Models;
using Emorl.Rewards;
using Emorl.Training;

namespace Emorl.Tests.Training;

public sealed class KScstOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        new KScstOptions().Validate();
    }

    [Fact]
    public void OwnAndSamplingFailuresAreReportedTogether()
    {
        var options = new KScstOptions
        {
            PromptsPerStep = 0,
            MaxGradientNorm = double.PositiveInfinity,
            Sampling = new GenerationOptions { MaxNewTokens = 0, Temperature = double.NaN },
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("KScstOptions has 4 invalid value(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("PromptsPerStep is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("it must be a positive finite number (EMORL uses 2.0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sampling.MaxNewTokens is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sampling.Temperature is NaN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GreedySamplingIsRejected()
    {
        var options = new KScstOptions { Sampling = GenerationOptions.CreateGreedy() };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Sampling.Greedy is true", error.Message, StringComparison.Ordinal);
        Assert.Contains("Set Sampling.Greedy to false", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void NonFiniteLearningRateIsRejected(double learningRate)
    {
        var options = new KScstOptions { LearningRate = learningRate, WeightDecay = double.PositiveInfinity };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("LearningRate is ", error.Message, StringComparison.Ordinal);
        Assert.Contains("it must be a finite number ≥ 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonFiniteRewardHandlingReachesPolicyOptions()
    {
        var options = new KScstOptions { NonFiniteRewards = NonFiniteRewardHandling.ReplaceWithZero };

        PolicyTrainerOptions converted = options.ToPolicyTrainerOptions();

        Assert.Equal(NonFiniteRewardHandling.ReplaceWithZero, converted.NonFiniteRewards);
    }

    [Fact]
    public void UndefinedNonFiniteRewardHandlingIsRejected()
    {
        var options = new KScstOptions { NonFiniteRewards = (NonFiniteRewardHandling)7 };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("NonFiniteRewards is 7", error.Message, StringComparison.Ordinal);
    }
}
