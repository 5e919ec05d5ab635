namespace Emorl.Training;

/// <summary>The policy-gradient algorithm a <see cref="PolicyTrainer"/> runs.</summary>
public enum PolicyAlgorithm
{
    /// <summary>
    /// k-SCST (Laban et al. 2021), EMORL's choice: REINFORCE on whole sequences with the mean reward
    /// of the prompt's G samples, own sample included, as the baseline. One gradient step per rollout.
    /// </summary>
    KScst,

    /// <summary>
    /// RLOO (Kool et al. 2019; Ahmadian et al. 2024): REINFORCE on whole sequences with the mean
    /// reward of the prompt's other G − 1 samples as the baseline. One gradient step per rollout.
    /// </summary>
    Rloo,

    /// <summary>
    /// PPO (Schulman et al. 2017) with a value head on the last hidden state, per-token GAE, the
    /// clipped surrogate and value losses, and several epochs of shuffled minibatches per rollout.
    /// </summary>
    Ppo,
}
