namespace Emorl.Training;

/// <summary>Metrics of one RL optimizer step; names in docs/logged-metrics.md.</summary>
/// <param name="Step">The step number, from 1.</param>
/// <param name="Loss">Total loss (<c>loss/total</c>).</param>
/// <param name="PolicyLoss">Policy-gradient term (<c>loss/policy</c>).</param>
/// <param name="Kl">Masked mean per-token KL to the base model, k3 estimator (<c>policy/kl</c>).</param>
/// <param name="ScoreMean">Mean objective score of the samples, in [0, 1] (<c>reward/score_mean</c>).</param>
/// <param name="ScoreStd">Population standard deviation of those scores (<c>reward/score_std</c>).</param>
/// <param name="RewardMean">Mean log-clipped reward (<c>reward/log_mean</c>).</param>
/// <param name="ResponseTokens">Mean response length in tokens, end-of-text included when emitted (<c>policy/response_tokens</c>).</param>
/// <param name="GradientNorm">Global gradient norm before clipping (<c>optim/grad_norm</c>).</param>
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
    double TokensPerSecond);
