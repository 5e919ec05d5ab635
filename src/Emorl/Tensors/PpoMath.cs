using System;
using static TorchSharp.torch;

namespace Emorl.Tensors;

/// <summary>
/// Pure tensor functions of PPO on token sequences: per-token rewards, generalized advantage
/// estimation, the clipped surrogate and value losses, and the entropy of the policy.
/// </summary>
/// <remarks>
/// Schulman et al. 2017 ("Proximal Policy Optimization Algorithms") for the losses and Schulman et
/// al. 2016 ("High-Dimensional Continuous Control Using Generalized Advantage Estimation") for
/// GAE, in the per-token form of Ziegler et al. 2019 ("Fine-Tuning Language Models from Human
/// Preferences"). Sequences are right-padded: a row's real tokens come first, then padding, and
/// the mask marks the real ones. Every function returns new tensors that the caller owns.
/// </remarks>
public static class PpoMath
{
    /// <summary>
    /// Builds per-token rewards: −β · KL_t at every real token, plus the sequence's score at its
    /// last real token.
    /// </summary>
    /// <param name="scores">[N] sequence rewards.</param>
    /// <param name="klPenalty">[N, T] per-token KL estimates, or null for no penalty.</param>
    /// <param name="mask">[N, T] bool, true on real tokens; every row needs at least one.</param>
    /// <param name="klCoefficient">β ≥ 0.</param>
    /// <returns>[N, T] float32 rewards, zero on padding.</returns>
    public static Tensor TokenRewards(Tensor scores, Tensor? klPenalty, Tensor mask, double klCoefficient)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(mask);
        using var weights = mask.to(float32);                                          // [N, T]
        using var lengths = weights.sum([1L]).to(int64);                                // [N]
        if (lengths.min().item<long>() < 1)
        {
            throw new ArgumentException("Every row needs at least one real token to carry its score.", nameof(mask));
        }

        using var lastIndex = (lengths - 1).unsqueeze(1);                               // [N, 1]
        using var placed = zeros_like(weights).scatter_(1, lastIndex, scores.to(float32).unsqueeze(1));
        if (klPenalty is null)
        {
            return placed * weights;
        }

        using var penalty = klPenalty * klCoefficient;
        using var shaped = placed - penalty;
        return shaped * weights;
    }

    /// <summary>
    /// Computes generalized advantage estimates and returns:
    /// δ_t = r_t + γ·V_{t+1} − V_t, A_t = δ_t + γλ·A_{t+1}, R_t = A_t + V_t, with V and A zero after
    /// a row's last real token.
    /// </summary>
    /// <param name="rewards">[N, T] per-token rewards.</param>
    /// <param name="values">[N, T] value estimates V(s_t), without gradient.</param>
    /// <param name="mask">[N, T] bool, true on real tokens (right-padded).</param>
    /// <param name="gamma">Discount γ in [0, 1]; language-model PPO usually uses 1.</param>
    /// <param name="lambda">GAE λ in [0, 1]; 0.95 in TRL 0.4.1's PPOConfig.</param>
    /// <returns>Advantages and returns, each [N, T] and zero on padding.</returns>
    public static (Tensor Advantages, Tensor Returns) GeneralizedAdvantages(
        Tensor rewards, Tensor values, Tensor mask, double gamma, double lambda)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var weights = mask.to(float32);
        long length = rewards.shape[1];
        var columns = new Tensor[length];
        var nextValue = zeros(rewards.shape[0]);                                        // [N]
        var nextAdvantage = zeros(rewards.shape[0]);                                    // [N]
        for (long t = length - 1; t >= 0; t--)
        {
            var real = weights[.., t];
            var value = values[.., t] * real;
            var delta = rewards[.., t] + nextValue * gamma - value;
            var advantage = (delta + nextAdvantage * (gamma * lambda)) * real;
            columns[t] = advantage;
            nextValue = value;
            nextAdvantage = advantage;
        }

        var advantages = stack(columns, 1);                                             // [N, T]
        var returns = (advantages + values) * weights;
        return (advantages.MoveToOuterDisposeScope(), returns.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Computes PPO's clipped surrogate loss, masked mean over tokens of
    /// max(−A·ρ, −A·clip(ρ, 1 − ε, 1 + ε)) with ρ = exp(log π − log π_old), and the share of tokens
    /// where the clipped term is the larger one.
    /// </summary>
    /// <param name="logProbabilities">[N, T] log π of the sampled tokens under the current policy, with gradient.</param>
    /// <param name="oldLogProbabilities">[N, T] log π_old from the rollout, without gradient.</param>
    /// <param name="advantages">[N, T] per-token advantages, without gradient.</param>
    /// <param name="mask">[N, T] bool, true on real tokens.</param>
    /// <param name="clipRange">ε &gt; 0; 0.2 in the PPO paper and TRL.</param>
    /// <returns>The scalar loss (with gradient) and the clip fraction in [0, 1] (without).</returns>
    public static (Tensor Loss, Tensor ClipFraction) ClippedSurrogateLoss(
        Tensor logProbabilities, Tensor oldLogProbabilities, Tensor advantages, Tensor mask, double clipRange)
    {
        ArgumentNullException.ThrowIfNull(logProbabilities);
        ArgumentNullException.ThrowIfNull(oldLogProbabilities);
        ArgumentNullException.ThrowIfNull(advantages);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var ratio = (logProbabilities - oldLogProbabilities).exp();
        var unclipped = -advantages * ratio;
        var clipped = -advantages * ratio.clamp(1 - clipRange, 1 + clipRange);
        var loss = PolicyGradientMath.MaskedMean(maximum(unclipped, clipped), mask);
        Tensor clipFraction;
        using (no_grad())
        {
            clipFraction = PolicyGradientMath.MaskedMean(clipped.gt(unclipped).to(float32), mask);
        }

        return (loss.MoveToOuterDisposeScope(), clipFraction.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Computes PPO's clipped value loss, 0.5 · masked mean of max((V − R)², (V_clip − R)²) with
    /// V_clip = V_old + clip(V − V_old, −ε, ε), and the share of tokens where the clipped term is larger.
    /// </summary>
    /// <param name="values">[N, T] current value estimates, with gradient.</param>
    /// <param name="oldValues">[N, T] value estimates from the rollout, without gradient.</param>
    /// <param name="returns">[N, T] return targets, without gradient.</param>
    /// <param name="mask">[N, T] bool, true on real tokens.</param>
    /// <param name="clipRange">ε &gt; 0; 0.2 in TRL 0.4.1's PPOConfig (cliprange_value).</param>
    /// <returns>The scalar loss (with gradient) and the clip fraction in [0, 1] (without).</returns>
    public static (Tensor Loss, Tensor ClipFraction) ClippedValueLoss(
        Tensor values, Tensor oldValues, Tensor returns, Tensor mask, double clipRange)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(oldValues);
        ArgumentNullException.ThrowIfNull(returns);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var clippedValues = oldValues + (values - oldValues).clamp(-clipRange, clipRange);
        var unclipped = (values - returns).square();
        var clipped = (clippedValues - returns).square();
        var loss = PolicyGradientMath.MaskedMean(maximum(unclipped, clipped), mask) * 0.5;
        Tensor clipFraction;
        using (no_grad())
        {
            clipFraction = PolicyGradientMath.MaskedMean(clipped.gt(unclipped).to(float32), mask);
        }

        return (loss.MoveToOuterDisposeScope(), clipFraction.MoveToOuterDisposeScope());
    }

    /// <summary>Computes the entropy −Σ_v p_v log p_v of each position's next-token distribution.</summary>
    /// <param name="logits">[N, T, V] logits.</param>
    /// <returns>[N, T] entropies in nats, with gradient when the logits have one.</returns>
    public static Tensor Entropy(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var logProbabilities = logits.log_softmax(-1);
        using var probabilities = logProbabilities.exp();
        using var products = probabilities * logProbabilities;
        using var total = products.sum([-1L]);
        return -total;
    }

    /// <summary>
    /// Estimates how far the policy moved during the update: masked mean of ½ (log π − log π_old)².
    /// </summary>
    /// <param name="logProbabilities">[N, T] log π under the current policy.</param>
    /// <param name="oldLogProbabilities">[N, T] log π_old from the rollout.</param>
    /// <param name="mask">[N, T] bool, true on real tokens.</param>
    /// <returns>A scalar without gradient.</returns>
    /// <remarks>The k2 estimator of KL(π_old ‖ π) (Schulman 2020), as TRL logs it.</remarks>
    public static Tensor ApproximateKl(Tensor logProbabilities, Tensor oldLogProbabilities, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(logProbabilities);
        ArgumentNullException.ThrowIfNull(oldLogProbabilities);
        ArgumentNullException.ThrowIfNull(mask);
        using var noGrad = no_grad();
        using var difference = logProbabilities - oldLogProbabilities;
        using var squared = difference.square();
        using var halved = squared * 0.5;
        return PolicyGradientMath.MaskedMean(halved, mask);
    }
}
