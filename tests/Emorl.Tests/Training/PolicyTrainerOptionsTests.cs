using System;
using Emorl.Tensors;
using Emorl.Training;

namespace Emorl.Tests.Training;

public sealed class PolicyTrainerOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        new PolicyTrainerOptions().Validate();
        PolicyTrainerOptions.CreatePpo().Validate();
        PolicyTrainerOptions.CreateRloo().Validate();
        PolicyTrainerOptions.CreateUniformWeighted().Validate();
        PolicyTrainerOptions.CreateDynaOpt().Validate();
    }

    [Fact]
    public void UndefinedEnumValuesAreRejected()
    {
        var options = new PolicyTrainerOptions
        {
            Algorithm = (PolicyAlgorithm)7,
            RewardTransform = (RewardTransform)7,
            RewardWeighting = (RewardWeighting)7,
            KlEstimator = (KlEstimator)7,
            KlPenalty = (KlPenaltyPlacement)7,
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Algorithm is 7, which is not a PolicyAlgorithm; use one of KScst, Rloo, Ppo.", error.Message, StringComparison.Ordinal);
        Assert.Contains("RewardTransform is 7, which is not a RewardTransform", error.Message, StringComparison.Ordinal);
        Assert.Contains("RewardWeighting is 7, which is not a RewardWeighting", error.Message, StringComparison.Ordinal);
        Assert.Contains("KlEstimator is 7, which is not a KlEstimator", error.Message, StringComparison.Ordinal);
        Assert.Contains("KlPenalty is 7, which is not a KlPenaltyPlacement", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PresetsSelectTheirAlgorithm()
    {
        var ppo = PolicyTrainerOptions.CreatePpo();
        var rloo = PolicyTrainerOptions.CreateRloo();
        var uniform = PolicyTrainerOptions.CreateUniformWeighted();
        var dynaOpt = PolicyTrainerOptions.CreateDynaOpt();

        Assert.Equal(PolicyAlgorithm.Ppo, ppo.Algorithm);
        Assert.Equal(6.0, ppo.TargetKl);
        Assert.Equal(KlPenaltyPlacement.Reward, ppo.KlPenalty);
        Assert.True(ppo.WhitenAdvantages);
        Assert.Equal(PolicyAlgorithm.Rloo, rloo.Algorithm);
        Assert.Equal(KlEstimator.K1, rloo.KlEstimator);
        Assert.Equal(PolicyAlgorithm.KScst, uniform.Algorithm);
        Assert.Equal(RewardWeighting.Fixed, uniform.RewardWeighting);
        Assert.Null(uniform.ObjectiveWeights);
        Assert.Equal(RewardWeighting.DynaOpt, dynaOpt.RewardWeighting);
        Assert.Equal(RewardTransform.LogClipped, dynaOpt.RewardTransform);
    }

    [Fact]
    public void InvalidValuesAreReportedTogether()
    {
        var options = new PolicyTrainerOptions
        {
            Algorithm = PolicyAlgorithm.KScst,
            SamplesPerPrompt = 1,
            Lambda = 1.5,
            TargetKl = -1,
            ObjectiveWeights = [1.0, double.NaN],
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("SamplesPerPrompt is 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Lambda is 1.5", error.Message, StringComparison.Ordinal);
        Assert.Contains("TargetKl is -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("ObjectiveWeights [1, NaN]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SamplingFailuresAreReportedWithTheOthers()
    {
        var options = new PolicyTrainerOptions
        {
            LearningRate = -1,
            Sampling = new Emorl.Models.GenerationOptions { Greedy = true, TopP = 2 },
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("PolicyTrainerOptions has 3 invalid value(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("LearningRate is -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sampling.TopP is 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sampling.Greedy is true", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(PolicyTrainerOptions.WeightDecay), "WeightDecay is ")]
    [InlineData(nameof(PolicyTrainerOptions.MaxGradientNorm), "MaxGradientNorm is ")]
    [InlineData(nameof(PolicyTrainerOptions.ConvergenceThreshold), "ConvergenceThreshold is ")]
    [InlineData(nameof(PolicyTrainerOptions.KlHorizon), "KlHorizon is ")]
    [InlineData(nameof(PolicyTrainerOptions.ClipRange), "ClipRange is ")]
    [InlineData(nameof(PolicyTrainerOptions.ValueCoefficient), "ValueCoefficient is ")]
    [InlineData(nameof(PolicyTrainerOptions.EntropyCoefficient), "EntropyCoefficient is ")]
    public void InfiniteValuesAreRejected(string property, string expected)
    {
        var options = new PolicyTrainerOptions();
        typeof(PolicyTrainerOptions).GetProperty(property)!.SetValue(options, double.PositiveInfinity);

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("finite number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PpoAcceptsOneSamplePerPrompt()
    {
        var options = PolicyTrainerOptions.CreatePpo();
        options.SamplesPerPrompt = 1;

        options.Validate();
    }

    [Fact]
    public void FixedWeightsWithDynaOptAreRejected()
    {
        var options = PolicyTrainerOptions.CreateDynaOpt();
        options.ObjectiveWeights = [0.5, 0.5];

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("DynaOpt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SamplingFailuresAreReportedWithTheTrainersOwn()
    {
        var options = new PolicyTrainerOptions { LearningRate = double.PositiveInfinity };
        options.Sampling.Temperature = 0;
        options.Sampling.TopP = 2;

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("has 3 invalid value(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("LearningRate is Infinity", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sampling.Temperature is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sampling.TopP is 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GreedySamplingIsRejected()
    {
        var options = new PolicyTrainerOptions { Sampling = Emorl.Models.GenerationOptions.CreateGreedy() };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Sampling.Greedy is true", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void NonFiniteLearningRateIsRejected(double learningRate)
    {
        var options = new PolicyTrainerOptions { LearningRate = learningRate, WeightDecay = double.PositiveInfinity };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("LearningRate is ", error.Message, StringComparison.Ordinal);
        Assert.Contains("WeightDecay is Infinity; it must be a finite number ≥ 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UndefinedNonFiniteRewardHandlingIsRejected()
    {
        var options = new PolicyTrainerOptions { NonFiniteRewards = (Emorl.Rewards.NonFiniteRewardHandling)7 };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("NonFiniteRewards is 7", error.Message, StringComparison.Ordinal);
    }
}
