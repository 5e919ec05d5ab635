using System.Collections.Generic;
using Emorl.Models;
using Emorl.Rewards;

namespace Emorl.Training;

/// <summary>
/// Settings of per-objective k-SCST training. Defaults are EMORL's reference values unless noted.
/// </summary>
public sealed class KScstOptions
{
    /// <summary>Gets or sets G, the samples per prompt whose mean reward is the baseline. Default 3.</summary>
    public int SamplesPerPrompt { get; set; } = 3;

    /// <summary>Gets or sets B, the prompts per optimizer step (data points per step). Default 16.</summary>
    public int PromptsPerStep { get; set; } = 16;

    /// <summary>Gets or sets the AdamW learning rate. Default 1e-4.</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Gets or sets the AdamW weight decay. Default 0.01 (PyTorch's AdamW default).</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Gets or sets β, the weight of the per-token KL(π ‖ π_base) term in the loss. Default 0.05.</summary>
    public double KlCoefficient { get; set; } = 0.05;

    /// <summary>Gets or sets the global gradient-norm clip. Default 2.0.</summary>
    public double MaxGradientNorm { get; set; } = 2.0;

    /// <summary>Gets or sets the step budget; training stops here if it has not converged. Default 400.</summary>
    public int MaxSteps { get; set; } = 400;

    /// <summary>Gets or sets how many optimizer steps pass between validations. Default 8.</summary>
    public int ValidationInterval { get; set; } = 8;

    /// <summary>Gets or sets how many validation prompts each validation samples; 0 uses all. Default 0.</summary>
    public int ValidationPrompts { get; set; }

    /// <summary>Gets or sets the number of recent validation rewards the convergence rule looks at. Default 20.</summary>
    public int ConvergenceWindow { get; set; } = 20;

    /// <summary>Gets or sets the convergence threshold on std/mean of the recent validation rewards. Default 0.015.</summary>
    public double ConvergenceThreshold { get; set; } = 0.015;

    /// <summary>Gets or sets the lower clip of scores before the log reward. Default 1e-4.</summary>
    public double ScoreFloor { get; set; } = 1e-4;

    /// <summary>Gets or sets the upper clip of scores before the log reward. Default 0.9999.</summary>
    public double ScoreCeiling { get; set; } = 0.9999;

    /// <summary>
    /// Gets or sets what happens when the reward model returns NaN or an infinity: throw (default) or
    /// score the pair 0 and log the count. See <see cref="PolicyTrainerOptions.NonFiniteRewards"/>.
    /// </summary>
    public NonFiniteRewardHandling NonFiniteRewards { get; set; } = NonFiniteRewardHandling.Fail;

    /// <summary>Gets or sets the seed of prompt order and sampling. Default 0.</summary>
    public long Seed { get; set; }

    /// <summary>
    /// Gets or sets how responses are sampled: temperature 1, top-k 50, 64 new tokens by default.
    /// Must not be greedy, because k-SCST compares several samples of one prompt.
    /// </summary>
    public GenerationOptions Sampling { get; set; } = new();

    /// <summary>Creates the equivalent <see cref="PolicyTrainerOptions"/>: k-SCST, log-clipped rewards, k3 KL in the loss.</summary>
    /// <returns>New options; later changes to this object do not reach them, except through the shared <see cref="Sampling"/>.</returns>
    public PolicyTrainerOptions ToPolicyTrainerOptions() => new()
    {
        Algorithm = PolicyAlgorithm.KScst,
        SamplesPerPrompt = SamplesPerPrompt,
        PromptsPerStep = PromptsPerStep,
        LearningRate = LearningRate,
        WeightDecay = WeightDecay,
        KlCoefficient = KlCoefficient,
        KlEstimator = Tensors.KlEstimator.K3,
        KlPenalty = KlPenaltyPlacement.Loss,
        MaxGradientNorm = MaxGradientNorm,
        MaxSteps = MaxSteps,
        ValidationInterval = ValidationInterval,
        ValidationPrompts = ValidationPrompts,
        ConvergenceWindow = ConvergenceWindow,
        ConvergenceThreshold = ConvergenceThreshold,
        ScoreFloor = ScoreFloor,
        ScoreCeiling = ScoreCeiling,
        Seed = Seed,
        Sampling = Sampling,
        RewardTransform = RewardTransform.LogClipped,
        NonFiniteRewards = NonFiniteRewards,
    };

    /// <summary>Checks every value, those of <see cref="Sampling"/> included, and reports all invalid ones together.</summary>
    /// <exception cref="System.ArgumentException">
    /// One or more values are out of range or not finite, or <see cref="Sampling"/> is greedy, which gives
    /// every sample of a prompt the same response.
    /// </exception>
    public void Validate()
    {
        var errors = new List<string>();
        Require(errors, SamplesPerPrompt >= 2, $"SamplesPerPrompt is {SamplesPerPrompt}; k-SCST needs at least 2 samples per prompt (EMORL uses 3).");
        Require(errors, PromptsPerStep >= 1, $"PromptsPerStep is {PromptsPerStep}; it must be at least 1 (EMORL uses 16).");
        Require(errors, LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate is {LearningRate}; it must be a positive finite number (EMORL uses 1e-4).");
        Require(errors, WeightDecay >= 0 && double.IsFinite(WeightDecay), $"WeightDecay is {WeightDecay}; it must be a finite number ≥ 0 (PyTorch's AdamW uses 0.01).");
        Require(errors, KlCoefficient >= 0 && double.IsFinite(KlCoefficient), $"KlCoefficient is {KlCoefficient}; it must be ≥ 0 (EMORL uses 0.05).");
        Require(errors, MaxGradientNorm > 0 && double.IsFinite(MaxGradientNorm), $"MaxGradientNorm is {MaxGradientNorm}; it must be a positive finite number (EMORL uses 2.0).");
        Require(errors, MaxSteps >= 1, $"MaxSteps is {MaxSteps}; it must be at least 1.");
        Require(errors, ValidationInterval >= 1, $"ValidationInterval is {ValidationInterval}; it must be at least 1 (EMORL uses 8).");
        Require(errors, ValidationPrompts >= 0, $"ValidationPrompts is {ValidationPrompts}; use 0 for all prompts or a positive count.");
        Require(errors, ConvergenceWindow >= 2, $"ConvergenceWindow is {ConvergenceWindow}; it must be at least 2 (EMORL uses 20).");
        Require(errors, ConvergenceThreshold > 0 && double.IsFinite(ConvergenceThreshold), $"ConvergenceThreshold is {ConvergenceThreshold}; it must be a positive finite number (EMORL uses 0.015).");
        Require(errors, ScoreFloor > 0 && ScoreFloor < ScoreCeiling && ScoreCeiling <= 1,
            $"ScoreFloor {ScoreFloor} and ScoreCeiling {ScoreCeiling} must satisfy 0 < floor < ceiling ≤ 1.");
        Require(errors, System.Enum.IsDefined(NonFiniteRewards),
            $"NonFiniteRewards is {(int)NonFiniteRewards}; use NonFiniteRewardHandling.Fail or ReplaceWithZero.");
        PolicyTrainerOptions.AddSamplingFailures(errors, Sampling);

        OptionsValidation.ThrowIfAny(nameof(KScstOptions), errors);
    }

    private static void Require(List<string> errors, bool condition, string message)
    {
        if (!condition)
        {
            errors.Add(message);
        }
    }
}
