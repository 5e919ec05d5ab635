namespace Emorl.Rewards;

/// <summary>
/// What training and evaluation do when a reward model returns NaN or an infinity.
/// </summary>
public enum NonFiniteRewardHandling
{
    /// <summary>
    /// Throw a <see cref="RewardModelException"/> that names the objective and the pair's index.
    /// The default, because a replaced score hides a bug in the reward model.
    /// </summary>
    Fail,

    /// <summary>
    /// Replace each non-finite score by 0, the lowest valid score, and log one warning per call
    /// with the count.
    /// </summary>
    ReplaceWithZero,
}
