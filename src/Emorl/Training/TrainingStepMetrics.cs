using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>Metrics of one RL step (one rollout and its update); names in docs/logged-metrics.md.</summary>
/// <param name="Step">The step number, from 1.</param>
/// <param name="Loss">Total loss (<c>loss/total</c>), averaged over the step's minibatches.</param>
/// <param name="PolicyLoss">Policy-gradient term (<c>loss/policy</c>).</param>
/// <param name="Kl">Masked mean per-token KL to the reference model with the configured estimator (<c>policy/kl</c>).</param>
/// <param name="ScoreMean">Mean score of the samples, averaged over objectives, in [0, 1] (<c>reward/score_mean</c>).</param>
/// <param name="ScoreStd">Population standard deviation of the per-sample mean scores (<c>reward/score_std</c>).</param>
/// <param name="RewardMean">Mean scalar reward the advantages use, before the KL penalty (<c>reward/scalar_mean</c>).</param>
/// <param name="ResponseTokens">Mean response length in tokens, end-of-text included when emitted (<c>policy/response_tokens</c>).</param>
/// <param name="GradientNorm">Global gradient norm before clipping, averaged over the step's optimizer steps (<c>optim/grad_norm</c>).</param>
/// <param name="TokensPerSecond">Generated tokens per second of the whole step (<c>perf/tokens_per_second</c>).</param>
public sealed record TrainingStepMetrics(
    int Step,
    double Loss,
    double PolicyLoss,
    double Kl,
    double ScoreMean,
    double ScoreStd,
    double RewardMean,
    double ResponseTokens,
    double GradientNorm,
    double TokensPerSecond)
{
    /// <summary>Gets PPO's value loss (<c>loss/value</c>); 0 for k-SCST and RLOO.</summary>
    public double ValueLoss { get; init; }

    /// <summary>Gets the share of tokens where PPO's clipped surrogate term was taken (<c>policy/clip_fraction</c>).</summary>
    public double ClipFraction { get; init; }

    /// <summary>Gets the share of tokens where PPO's clipped value term was taken (<c>value/clip_fraction</c>).</summary>
    public double ValueClipFraction { get; init; }

    /// <summary>Gets the mean per-token entropy of the policy, in nats (<c>policy/entropy</c>).</summary>
    public double Entropy { get; init; }

    /// <summary>Gets the masked mean of ½ (log π − log π_old)² after the update (<c>policy/approx_kl</c>).</summary>
    public double ApproximateKl { get; init; }

    /// <summary>Gets the mean over sequences of the summed per-token KL, which the adaptive controller reads (<c>policy/kl_sequence</c>).</summary>
    public double SequenceKl { get; init; }

    /// <summary>Gets β used in this step (<c>policy/kl_coefficient</c>).</summary>
    public double KlCoefficient { get; init; }

    /// <summary>Gets the number of optimizer steps this step took (<c>optim/steps</c>).</summary>
    public int OptimizerSteps { get; init; }

    /// <summary>Gets the objective weights used in this step, in objective order (<c>reward/weight/{objective}</c>).</summary>
    public IReadOnlyList<double> ObjectiveWeights { get; init; } = [];

    /// <summary>Gets each objective's score statistics by name (<c>reward/{objective}/mean</c>, <c>reward/{objective}/std</c>).</summary>
    public IReadOnlyDictionary<string, ScoreStatistics> Objectives { get; init; } = new Dictionary<string, ScoreStatistics>();
}
