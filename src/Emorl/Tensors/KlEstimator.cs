namespace Emorl.Tensors;

/// <summary>
/// Per-token estimators of KL(π ‖ π_ref) from the log-probabilities p = log π and q = log π_ref of
/// the sampled token (Schulman, "Approximating KL Divergence", 2020).
/// </summary>
public enum KlEstimator
{
    /// <summary>k1 = p − q: unbiased, but a single token's estimate can be negative.</summary>
    K1,

    /// <summary>k3 = exp(q − p) − (q − p) − 1: unbiased and never negative; its variance is usually lower than k1's when π is close to π_ref.</summary>
    K3,
}
