using System;
using static TorchSharp.torch;

namespace Emorl.Tensors;

/// <summary>
/// Pure tensor functions of policy-gradient training: reward transforms, group and leave-one-out
/// advantages, token log-probabilities, masked statistics, KL estimators and the sequence-level losses.
/// </summary>
/// <remarks>Every function returns a new tensor that the caller owns.</remarks>
public static class PolicyGradientMath
{
    /// <summary>Maps scores in [0, 1] to k-SCST rewards log(clip(s, floor, ceiling)).</summary>
    /// <param name="scores">[N] scores.</param>
    /// <param name="floor">Lower clip, EMORL's 1e-4.</param>
    /// <param name="ceiling">Upper clip, EMORL's 0.9999.</param>
    /// <returns>[N] rewards in [log floor, log ceiling].</returns>
    public static Tensor LogClippedRewards(Tensor scores, double floor = 1e-4, double ceiling = 0.9999)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return scores.clamp(floor, ceiling).log();
    }

    /// <summary>
    /// Computes k-SCST advantages: each reward minus the mean reward of its group of samples for the
    /// same prompt (own reward included), so advantages sum to zero per prompt.
    /// </summary>
    /// <param name="rewards">[B · G] rewards, the G samples of a prompt adjacent.</param>
    /// <param name="groupSize">G, the samples per prompt, at least 1.</param>
    /// <returns>[B · G] advantages.</returns>
    /// <remarks>Laban et al. 2021 (k-SCST); EMORL uses G = 3 and no division by a standard deviation.</remarks>
    public static Tensor GroupAdvantages(Tensor rewards, int groupSize)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
        if (rewards.shape[0] % groupSize != 0)
        {
            throw new ArgumentException(
                $"{rewards.shape[0]} rewards do not split into groups of {groupSize}; pass G samples for every prompt.",
                nameof(rewards));
        }

        using var grouped = rewards.view(-1, groupSize);                                 // [B, G]
        using var baseline = grouped.mean([1L], keepdim: true);                           // [B, 1]
        using var advantages = grouped - baseline;
        return advantages.reshape(-1);
    }

    /// <summary>
    /// Computes RLOO advantages: each reward minus the mean reward of the other G − 1 samples of the
    /// same prompt, which equals G / (G − 1) times the k-SCST advantage.
    /// </summary>
    /// <param name="rewards">[B · G] rewards, the G samples of a prompt adjacent.</param>
    /// <param name="groupSize">G, the samples per prompt, at least 2.</param>
    /// <returns>[B · G] advantages; they sum to zero per prompt.</returns>
    /// <remarks>
    /// REINFORCE Leave-One-Out (Kool et al. 2019, "Buy 4 REINFORCE Samples, Get a Baseline for
    /// Free!"; Ahmadian et al. 2024 for language models). Leaving the sample's own reward out of its
    /// baseline keeps the gradient estimate unbiased.
    /// </remarks>
    public static Tensor LeaveOneOutAdvantages(Tensor rewards, int groupSize)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 2);
        using var centred = GroupAdvantages(rewards, groupSize);
        return centred * (groupSize / (groupSize - 1.0));
    }

    /// <summary>Gathers the log-probability of each target token.</summary>
    /// <param name="logits">[N, T, V] logits whose position t predicts <paramref name="targets"/>[.., t].</param>
    /// <param name="targets">[N, T] int64 token ids.</param>
    /// <returns>[N, T] log-probabilities.</returns>
    public static Tensor TokenLogProbabilities(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        using var logProbabilities = logits.log_softmax(-1);
        using var gathered = logProbabilities.gather(-1, targets.unsqueeze(-1));
        return gathered.squeeze(-1);
    }

    /// <summary>Averages values over the positions where the mask is true.</summary>
    /// <param name="values">[..] values.</param>
    /// <param name="mask">Same shape, bool or 0/1.</param>
    /// <returns>A scalar; 0 when the mask is empty.</returns>
    public static Tensor MaskedMean(Tensor values, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        using var weights = mask.to(values.dtype);
        using var total = (values * weights).sum();
        using var count = weights.sum().clamp_min(1);
        return total / count;
    }

    /// <summary>Computes the masked variance: the mean squared deviation from the masked mean, divided by n.</summary>
    /// <param name="values">[..] values.</param>
    /// <param name="mask">Same shape, bool or 0/1.</param>
    /// <returns>A scalar; 0 when the mask is empty.</returns>
    public static Tensor MaskedVariance(Tensor values, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        using var mean = MaskedMean(values, mask);
        using var deviation = values - mean;
        using var squared = deviation.square();
        return MaskedMean(squared, mask);
    }

    /// <summary>
    /// Whitens values over the masked positions: (x − mean) / sqrt(variance + 1e-8). The mean and the
    /// population variance come from real positions only, and padding positions come out as 0.
    /// </summary>
    /// <param name="values">[..] values, such as per-token advantages [N, T].</param>
    /// <param name="mask">Same shape, bool or 0/1: true on real positions.</param>
    /// <returns>Whitened values of the same shape, zero where the mask is false.</returns>
    /// <remarks>
    /// Padding must not count: a batch whose rows differ in length would otherwise pull the mean
    /// toward the padding value and shrink the variance.
    /// </remarks>
    public static Tensor MaskedWhiten(Tensor values, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        using var mean = MaskedMean(values, mask);
        using var variance = MaskedVariance(values, mask);
        using var scale = (variance + 1e-8).rsqrt();
        using var whitened = (values - mean) * scale;
        using var weights = mask.to(values.dtype);
        return whitened * weights;
    }

    /// <summary>Estimates per-token KL(π ‖ π_ref) with the k1 estimator p − q.</summary>
    /// <param name="policyLogProbabilities">[N, T] log π of the sampled tokens.</param>
    /// <param name="referenceLogProbabilities">[N, T] log π_ref of the same tokens.</param>
    /// <returns>[N, T] per-token estimates; single values may be negative.</returns>
    /// <remarks>Schulman, "Approximating KL Divergence" (2020).</remarks>
    public static Tensor KlK1(Tensor policyLogProbabilities, Tensor referenceLogProbabilities)
    {
        ArgumentNullException.ThrowIfNull(policyLogProbabilities);
        ArgumentNullException.ThrowIfNull(referenceLogProbabilities);
        return policyLogProbabilities - referenceLogProbabilities;
    }

    /// <summary>Estimates per-token KL(π ‖ π_ref) with the chosen estimator.</summary>
    /// <param name="policyLogProbabilities">[N, T] log π of the sampled tokens.</param>
    /// <param name="referenceLogProbabilities">[N, T] log π_ref of the same tokens.</param>
    /// <param name="estimator">k1 or k3.</param>
    /// <returns>[N, T] per-token estimates.</returns>
    public static Tensor KlEstimate(Tensor policyLogProbabilities, Tensor referenceLogProbabilities, KlEstimator estimator) =>
        estimator switch
        {
            KlEstimator.K1 => KlK1(policyLogProbabilities, referenceLogProbabilities),
            KlEstimator.K3 => KlK3(policyLogProbabilities, referenceLogProbabilities),
            _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Use KlEstimator.K1 or KlEstimator.K3."),
        };

    /// <summary>
    /// Computes the sequence-level REINFORCE loss −mean_i(A_i · Σ_t log π(y_i,t)) used by k-SCST and RLOO.
    /// </summary>
    /// <param name="tokenLogProbabilities">[N, T] log π of the sampled response tokens, with gradient.</param>
    /// <param name="mask">[N, T] bool, true on response tokens.</param>
    /// <param name="advantages">[N] advantages, without gradient.</param>
    /// <returns>The scalar loss; the caller owns it.</returns>
    public static Tensor SequenceReinforceLoss(Tensor tokenLogProbabilities, Tensor mask, Tensor advantages)
    {
        ArgumentNullException.ThrowIfNull(tokenLogProbabilities);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(advantages);
        using var weights = mask.to(tokenLogProbabilities.dtype);
        using var sequenceLogProbabilities = (tokenLogProbabilities * weights).sum([1L]);   // [N]
        using var weighted = advantages * sequenceLogProbabilities;
        using var mean = weighted.mean();
        return -mean;
    }

    /// <summary>
    /// Estimates per-token KL(π ‖ π_ref) with the unbiased, always non-negative k3 estimator
    /// exp(q − p) − (q − p) − 1, where p and q are the policy's and reference's log-probabilities
    /// of the sampled token.
    /// </summary>
    /// <param name="policyLogProbabilities">[N, T] log π of the sampled tokens, with gradient.</param>
    /// <param name="referenceLogProbabilities">[N, T] log π_ref of the same tokens, without gradient.</param>
    /// <returns>[N, T] per-token estimates.</returns>
    /// <remarks>Schulman, "Approximating KL Divergence" (2020).</remarks>
    public static Tensor KlK3(Tensor policyLogProbabilities, Tensor referenceLogProbabilities)
    {
        ArgumentNullException.ThrowIfNull(policyLogProbabilities);
        ArgumentNullException.ThrowIfNull(referenceLogProbabilities);
        using var logRatio = referenceLogProbabilities - policyLogProbabilities;
        using var ratio = logRatio.exp();
        return ratio - logRatio - 1;
    }

    /// <summary>
    /// Computes the k-SCST loss −mean_i(A_i · Σ_t log π(y_i,t)) + β · masked mean of per-token KL.
    /// </summary>
    /// <param name="tokenLogProbabilities">[N, T] log π of the sampled response tokens, with gradient.</param>
    /// <param name="referenceLogProbabilities">[N, T] log π_ref of the same tokens.</param>
    /// <param name="mask">[N, T] bool, true on response tokens.</param>
    /// <param name="advantages">[N] advantages, without gradient.</param>
    /// <param name="klCoefficient">β ≥ 0; EMORL uses 0.05.</param>
    /// <returns>The scalar loss, the policy term and the KL estimate (scalars).</returns>
    public static (Tensor Loss, Tensor PolicyLoss, Tensor Kl) KScstLoss(
        Tensor tokenLogProbabilities, Tensor referenceLogProbabilities, Tensor mask, Tensor advantages, double klCoefficient)
    {
        ArgumentNullException.ThrowIfNull(tokenLogProbabilities);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(advantages);
        using var weights = mask.to(tokenLogProbabilities.dtype);
        using var sequenceLogProbabilities = (tokenLogProbabilities * weights).sum([1L]);   // [N]
        var policyLoss = -(advantages * sequenceLogProbabilities).mean();
        using var perToken = KlK3(tokenLogProbabilities, referenceLogProbabilities);
        var kl = MaskedMean(perToken, mask);
        var loss = policyLoss + kl * klCoefficient;
        return (loss, policyLoss, kl);
    }
}
