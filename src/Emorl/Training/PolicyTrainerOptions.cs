using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Emorl.Models;
using Emorl.Rewards;
using Emorl.Tensors;

namespace Emorl.Training;

/// <summary>
/// Settings of RL fine-tuning with <see cref="PolicyTrainer"/>. Defaults are EMORL's k-SCST values
/// unless noted; <see cref="CreatePpo"/> and <see cref="CreateRloo"/> return each algorithm's usual
/// settings.
/// </summary>
public sealed class PolicyTrainerOptions
{
    /// <summary>Gets or sets the algorithm. Default <see cref="PolicyAlgorithm.KScst"/>.</summary>
    public PolicyAlgorithm Algorithm { get; set; } = PolicyAlgorithm.KScst;

    /// <summary>Gets or sets G, the samples per prompt; k-SCST and RLOO need at least 2. Default 3 (EMORL).</summary>
    public int SamplesPerPrompt { get; set; } = 3;

    /// <summary>Gets or sets B, the prompts per step, which is also the data points each step adds. Default 16 (EMORL).</summary>
    public int PromptsPerStep { get; set; } = 16;

    /// <summary>Gets or sets the AdamW learning rate. Default 1e-4 (EMORL).</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Gets or sets the AdamW weight decay. Default 0.01 (PyTorch's AdamW default).</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Gets or sets the global gradient-norm clip applied before every optimizer step. Default 2.0 (EMORL).</summary>
    public double MaxGradientNorm { get; set; } = 2.0;

    /// <summary>Gets or sets the step budget; training stops here if it has not converged. Default 400.</summary>
    public int MaxSteps { get; set; } = 400;

    /// <summary>Gets or sets how many steps pass between validations. Default 8 (EMORL).</summary>
    public int ValidationInterval { get; set; } = 8;

    /// <summary>Gets or sets how many validation prompts each validation samples; 0 uses all. Default 0.</summary>
    public int ValidationPrompts { get; set; }

    /// <summary>Gets or sets how many recent validation scores the convergence rule reads. Default 20 (EMORL).</summary>
    public int ConvergenceWindow { get; set; } = 20;

    /// <summary>Gets or sets the threshold on std/mean of the recent validation scores. Default 0.015 (EMORL).</summary>
    public double ConvergenceThreshold { get; set; } = 0.015;

    /// <summary>Gets or sets the lower clip of scores. Default 1e-4 (EMORL).</summary>
    public double ScoreFloor { get; set; } = 1e-4;

    /// <summary>Gets or sets the upper clip of scores. Default 0.9999 (EMORL).</summary>
    public double ScoreCeiling { get; set; } = 0.9999;

    /// <summary>Gets or sets the seed of prompt order, sampling, dropout and minibatch order. Default 0.</summary>
    public long Seed { get; set; }

    /// <summary>Gets or sets how responses are sampled: temperature 1, top-k 50, top-p 1, 64 new tokens by default.</summary>
    /// <remarks>Training log-probabilities divide the logits by the same temperature; top-k and top-p are not applied to them.</remarks>
    public GenerationOptions Sampling { get; set; } = new();

    /// <summary>Gets or sets how each objective's score becomes its reward. Default <see cref="Training.RewardTransform.LogClipped"/>.</summary>
    public RewardTransform RewardTransform { get; set; } = RewardTransform.LogClipped;

    /// <summary>
    /// Gets or sets what happens when the reward model returns NaN or an infinity. Default
    /// <see cref="NonFiniteRewardHandling.Fail"/>, which throws a <see cref="RewardModelException"/> naming the
    /// objective and the pair; <see cref="NonFiniteRewardHandling.ReplaceWithZero"/> scores such pairs 0 and
    /// logs a warning with the count. Scores outside [0, 1] always fail.
    /// </summary>
    public NonFiniteRewardHandling NonFiniteRewards { get; set; } = NonFiniteRewardHandling.Fail;

    /// <summary>Gets or sets one fixed weight per objective of the reward model, or null for 1/K each. Default null.</summary>
    public IReadOnlyList<double>? ObjectiveWeights { get; set; }

    /// <summary>Gets or sets where the objective weights come from. Default <see cref="Training.RewardWeighting.Fixed"/>.</summary>
    public RewardWeighting RewardWeighting { get; set; } = RewardWeighting.Fixed;

    /// <summary>Gets or sets γ of DynaOpt's Exp3 bandits, in (0, 1]. Default 0.07 (DynaOpt).</summary>
    public double DynaOptGamma { get; set; } = 0.07;

    /// <summary>Gets or sets whether each objective's rewards are standardised over the batch before weighting. Default false.</summary>
    public bool NormalizeObjectives { get; set; }

    /// <summary>Gets or sets whether scalar rewards are normalised by running mean and standard deviation. Default false.</summary>
    public bool NormalizeRewards { get; set; }

    /// <summary>Gets or sets the clip bound of running-normalised rewards, &gt; 0. Default 10 (Stable-Baselines3's VecNormalize).</summary>
    public double RewardClip { get; set; } = 10;

    /// <summary>Gets or sets whether advantages are whitened over the batch, padding excluded. Default false (EMORL); true in <see cref="CreatePpo"/>.</summary>
    public bool WhitenAdvantages { get; set; }

    /// <summary>Gets or sets β, or its starting value when <see cref="TargetKl"/> is set. Default 0.05 (EMORL).</summary>
    public double KlCoefficient { get; set; } = 0.05;

    /// <summary>Gets or sets the KL per sequence, in nats, that an adaptive β steers toward; null keeps β fixed. Default null.</summary>
    public double? TargetKl { get; set; }

    /// <summary>Gets or sets the adaptive controller's horizon in sequences. Default 10,000 (TRL 0.4.1).</summary>
    public double KlHorizon { get; set; } = 10_000;

    /// <summary>Gets or sets the per-token KL estimator. Default <see cref="Tensors.KlEstimator.K3"/>.</summary>
    public KlEstimator KlEstimator { get; set; } = KlEstimator.K3;

    /// <summary>Gets or sets where the KL penalty enters. Default <see cref="KlPenaltyPlacement.Loss"/>.</summary>
    public KlPenaltyPlacement KlPenalty { get; set; } = KlPenaltyPlacement.Loss;

    /// <summary>Gets or sets the passes over each rollout; PPO only, since k-SCST and RLOO take one. Default 4 (TRL 0.4.1).</summary>
    public int PpoEpochs { get; set; } = 4;

    /// <summary>Gets or sets the sequences per forward and backward pass; 0 puts the whole rollout in one. Default 0.</summary>
    public int MiniBatchSize { get; set; }

    /// <summary>Gets or sets how many minibatches add their gradients before one optimizer step. Default 1.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Gets or sets PPO's ratio clip ε. Default 0.2 (Schulman et al. 2017; TRL).</summary>
    public double ClipRange { get; set; } = 0.2;

    /// <summary>Gets or sets PPO's value clip. Default 0.2 (TRL 0.4.1).</summary>
    public double ValueClipRange { get; set; } = 0.2;

    /// <summary>Gets or sets the weight of PPO's value loss. Default 0.1 (TRL 0.4.1).</summary>
    public double ValueCoefficient { get; set; } = 0.1;

    /// <summary>Gets or sets the weight of the entropy bonus subtracted from the loss, ≥ 0. Default 0 (TRL adds none).</summary>
    public double EntropyCoefficient { get; set; }

    /// <summary>Gets or sets PPO's discount γ in [0, 1]. Default 1 (TRL 0.4.1).</summary>
    public double Gamma { get; set; } = 1.0;

    /// <summary>Gets or sets PPO's GAE λ in [0, 1]. Default 0.95 (TRL 0.4.1).</summary>
    public double Lambda { get; set; } = 0.95;

    /// <summary>Gets or sets the checkpoint file <see cref="PolicyTrainer.Train"/> writes, or null for none. Default null.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Gets or sets how many steps pass between checkpoints; 0 writes one only at the end or on cancellation. Default 0.</summary>
    public int CheckpointInterval { get; set; }

    /// <summary>Creates PPO settings: TRL 0.4.1's PPO defaults with EMORL's learning rate, batch and gradient clip.</summary>
    /// <returns>New options: one sample per prompt, 4 epochs, adaptive β from 0.2 toward KL 6 (k1, shaped into the reward), whitened advantages.</returns>
    public static PolicyTrainerOptions CreatePpo() => new()
    {
        Algorithm = PolicyAlgorithm.Ppo,
        SamplesPerPrompt = 1,
        KlCoefficient = 0.2,
        TargetKl = 6,
        KlEstimator = KlEstimator.K1,
        KlPenalty = KlPenaltyPlacement.Reward,
        WhitenAdvantages = true,
    };

    /// <summary>Creates RLOO settings: k1 KL shaped into the sequence reward, as in Ahmadian et al. 2024.</summary>
    /// <returns>New options with EMORL's batch, learning rate and β.</returns>
    public static PolicyTrainerOptions CreateRloo() => new()
    {
        Algorithm = PolicyAlgorithm.Rloo,
        KlEstimator = KlEstimator.K1,
        KlPenalty = KlPenaltyPlacement.Reward,
    };

    /// <summary>
    /// Creates EMORL's Uniform Weighted baseline (from the DynaOpt paper): one policy trained with
    /// k-SCST on Σ_k (1/K) · log clip(s_k). Pair it with a <see cref="Rewards.CompositeRewardModel"/>
    /// of the K objectives.
    /// </summary>
    /// <returns>New options with EMORL's k-SCST values and fixed equal weights.</returns>
    public static PolicyTrainerOptions CreateUniformWeighted() => new()
    {
        Algorithm = PolicyAlgorithm.KScst,
        RewardTransform = RewardTransform.LogClipped,
        RewardWeighting = RewardWeighting.Fixed,
        ObjectiveWeights = null,
    };

    /// <summary>
    /// Creates the DynaOpt baseline (Min et al., LREC-COLING 2024): one policy trained with k-SCST on
    /// Σ_k w_k · log clip(s_k), with the weights w steered by Exp3 bandits at each validation. Pair
    /// it with a <see cref="Rewards.CompositeRewardModel"/> of the K objectives.
    /// </summary>
    /// <returns>New options with EMORL's k-SCST values and DynaOpt weighting (γ = 0.07).</returns>
    public static PolicyTrainerOptions CreateDynaOpt() => new()
    {
        Algorithm = PolicyAlgorithm.KScst,
        RewardTransform = RewardTransform.LogClipped,
        RewardWeighting = RewardWeighting.DynaOpt,
    };

    /// <summary>Checks every value and reports all invalid ones together.</summary>
    /// <exception cref="System.ArgumentException">One or more values are out of range.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        ValidateChoices(errors);
        ValidateSchedule(errors);
        ValidateRewards(errors);
        ValidateUpdate(errors);
        AddSamplingFailures(errors, Sampling);

        OptionsValidation.ThrowIfAny(nameof(PolicyTrainerOptions), errors);
    }

    /// <summary>Adds the failures of the sampling options, which RL training needs to sample, not pick greedily.</summary>
    internal static void AddSamplingFailures(List<string> errors, GenerationOptions? sampling)
    {
        if (sampling is null)
        {
            errors.Add("Sampling is null; set generation options (for example new GenerationOptions()).");
            return;
        }

        sampling.AddFailures(errors, "Sampling.");
        Require(errors, !sampling.Greedy,
            "Sampling.Greedy is true, but RL training needs sampled responses: greedy decoding gives every sample of a prompt "
            + "the same response, so every advantage is 0 and nothing is learned. Set Sampling.Greedy to false.");
    }

    /// <summary>
    /// Rejects enum values with no named member, such as a number cast in code or bound from
    /// configuration, because the trainer would otherwise fall back to another variant without a word.
    /// </summary>
    private void ValidateChoices(List<string> errors)
    {
        RequireDefined(errors, nameof(Algorithm), Algorithm);
        RequireDefined(errors, nameof(RewardTransform), RewardTransform);
        RequireDefined(errors, nameof(RewardWeighting), RewardWeighting);
        RequireDefined(errors, nameof(KlEstimator), KlEstimator);
        RequireDefined(errors, nameof(KlPenalty), KlPenalty);
    }

    private static void RequireDefined<TEnum>(List<string> errors, string name, TEnum value)
        where TEnum : struct, Enum
    {
        Require(errors, Enum.IsDefined(value),
            $"{name} is {value}, which is not a {typeof(TEnum).Name}; use one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
    }

    private void ValidateSchedule(List<string> errors)
    {
        int minimumSamples = Algorithm == PolicyAlgorithm.Ppo ? 1 : 2;
        Require(errors, SamplesPerPrompt >= minimumSamples,
            $"SamplesPerPrompt is {SamplesPerPrompt}; {Algorithm} needs at least {minimumSamples} sample(s) per prompt (EMORL uses 3).");
        Require(errors, PromptsPerStep >= 1, $"PromptsPerStep is {PromptsPerStep}; it must be at least 1 (EMORL uses 16).");
        Require(errors, LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate is {LearningRate}; it must be a positive finite number (EMORL uses 1e-4).");
        Require(errors, WeightDecay >= 0 && double.IsFinite(WeightDecay), $"WeightDecay is {WeightDecay}; it must be a finite number ≥ 0 (PyTorch's AdamW uses 0.01).");
        Require(errors, MaxGradientNorm > 0 && double.IsFinite(MaxGradientNorm), $"MaxGradientNorm is {MaxGradientNorm}; it must be a positive finite number (EMORL uses 2.0).");
        Require(errors, MaxSteps >= 1, $"MaxSteps is {MaxSteps}; it must be at least 1.");
        Require(errors, ValidationInterval >= 1, $"ValidationInterval is {ValidationInterval}; it must be at least 1 (EMORL uses 8).");
        Require(errors, ValidationPrompts >= 0, $"ValidationPrompts is {ValidationPrompts}; use 0 for all prompts or a positive count.");
        Require(errors, ConvergenceWindow >= 2, $"ConvergenceWindow is {ConvergenceWindow}; it must be at least 2 (EMORL uses 20).");
        Require(errors, ConvergenceThreshold > 0 && double.IsFinite(ConvergenceThreshold), $"ConvergenceThreshold is {ConvergenceThreshold}; it must be a positive finite number (EMORL uses 0.015).");
        Require(errors, CheckpointInterval >= 0, $"CheckpointInterval is {CheckpointInterval}; use 0 for checkpoints only at the end, or a positive step count.");
        Require(errors, CheckpointPath is null || CheckpointPath.Length > 0, "CheckpointPath is empty; set a file path or null.");
    }

    private void ValidateRewards(List<string> errors)
    {
        Require(errors, Enum.IsDefined(NonFiniteRewards),
            $"NonFiniteRewards is {(int)NonFiniteRewards}; use NonFiniteRewardHandling.Fail or ReplaceWithZero.");
        Require(errors, ScoreFloor > 0 && ScoreFloor < ScoreCeiling && ScoreCeiling <= 1,
            $"ScoreFloor {ScoreFloor} and ScoreCeiling {ScoreCeiling} must satisfy 0 < floor < ceiling ≤ 1.");
        Require(errors, ObjectiveWeights is null || ObjectiveWeights.All(double.IsFinite),
            $"ObjectiveWeights [{Format(ObjectiveWeights)}] must all be finite numbers.");
        Require(errors, ObjectiveWeights is null || RewardWeighting == RewardWeighting.Fixed,
            "ObjectiveWeights are set but RewardWeighting is DynaOpt, whose bandit sets the weights; remove one of the two.");
        Require(errors, DynaOptGamma > 0 && DynaOptGamma <= 1, $"DynaOptGamma is {DynaOptGamma}; it must lie in (0, 1] (DynaOpt uses 0.07).");
        Require(errors, RewardClip > 0, $"RewardClip is {RewardClip}; it must be positive (use infinity to turn clipping off).");
        Require(errors, KlCoefficient >= 0 && double.IsFinite(KlCoefficient), $"KlCoefficient is {KlCoefficient}; it must be ≥ 0 (EMORL uses 0.05).");
        Require(errors, TargetKl is null || TargetKl > 0 && double.IsFinite(TargetKl.Value),
            $"TargetKl is {TargetKl}; set a positive KL per sequence (TRL uses 6) or null for a fixed coefficient.");
        Require(errors, TargetKl is null || KlCoefficient > 0,
            "TargetKl is set but KlCoefficient is 0; an adaptive coefficient must start above 0 (TRL starts at 0.2).");
        Require(errors, KlHorizon > 0 && double.IsFinite(KlHorizon), $"KlHorizon is {KlHorizon}; it must be a positive finite number (TRL uses 10,000).");
    }

    private void ValidateUpdate(List<string> errors)
    {
        Require(errors, PpoEpochs >= 1, $"PpoEpochs is {PpoEpochs}; it must be at least 1 (TRL uses 4).");
        Require(errors, MiniBatchSize >= 0, $"MiniBatchSize is {MiniBatchSize}; use 0 for the whole rollout or a positive count.");
        Require(errors, GradientAccumulationSteps >= 1, $"GradientAccumulationSteps is {GradientAccumulationSteps}; it must be at least 1.");
        Require(errors, ClipRange > 0 && double.IsFinite(ClipRange), $"ClipRange is {ClipRange}; it must be a positive finite number (PPO uses 0.2).");
        Require(errors, ValueClipRange > 0 && double.IsFinite(ValueClipRange), $"ValueClipRange is {ValueClipRange}; it must be a positive finite number (TRL uses 0.2).");
        Require(errors, ValueCoefficient >= 0 && double.IsFinite(ValueCoefficient), $"ValueCoefficient is {ValueCoefficient}; it must be a finite number ≥ 0 (TRL uses 0.1).");
        Require(errors, EntropyCoefficient >= 0 && double.IsFinite(EntropyCoefficient), $"EntropyCoefficient is {EntropyCoefficient}; it must be a finite number ≥ 0.");
        Require(errors, Gamma >= 0 && Gamma <= 1, $"Gamma is {Gamma}; it must lie in [0, 1] (TRL uses 1).");
        Require(errors, Lambda >= 0 && Lambda <= 1, $"Lambda is {Lambda}; it must lie in [0, 1] (TRL uses 0.95).");
    }

    private static string Format(IReadOnlyList<double>? values) =>
        values is null ? "" : string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    private static void Require(List<string> errors, bool condition, string message)
    {
        if (!condition)
        {
            errors.Add(message);
        }
    }
}
