namespace Emorl.Training;

/// <summary>Where the KL(π ‖ π_ref) penalty enters training.</summary>
public enum KlPenaltyPlacement
{
    /// <summary>
    /// β · (masked mean over response tokens of the per-token KL estimate) is added to the loss, with
    /// gradient. EMORL's k-SCST setting in this library.
    /// </summary>
    Loss,

    /// <summary>
    /// The reward is shaped before the advantages, without gradient: PPO subtracts β · KL_t from
    /// each token's reward (Ziegler et al. 2019), and k-SCST and RLOO subtract β · Σ_t KL_t from the
    /// sequence's reward.
    /// </summary>
    Reward,
}
