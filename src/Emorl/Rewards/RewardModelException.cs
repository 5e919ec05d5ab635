using System;

namespace Emorl.Rewards;

/// <summary>
/// The exception thrown when an <see cref="IRewardModel"/> breaks its contract: it throws, returns
/// the wrong number of scores, or returns a score that is not a finite number in [0, 1].
/// </summary>
/// <remarks>
/// The message names the reward model, the objective and the 0-based index of the offending pair
/// in the batch passed to the model, never the prompt or response text, which may be sensitive.
/// </remarks>
public sealed class RewardModelException : InvalidOperationException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public RewardModelException()
        : base("A reward model returned an invalid score.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message, which should name the objective and the pair's index.</param>
    public RewardModelException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">The message, which should name the objective and the pair's index.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public RewardModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance that records which objective and pair failed.</summary>
    /// <param name="message">The message, which names the objective and the pair's index.</param>
    /// <param name="objective">The objective or reward model name.</param>
    /// <param name="pairIndex">The 0-based index of the pair in the scored batch, or -1 when no single pair is to blame.</param>
    /// <param name="innerException">The exception the reward model threw, or <see langword="null"/>.</param>
    public RewardModelException(string message, string objective, int pairIndex, Exception? innerException = null)
        : base(message, innerException)
    {
        Objective = objective;
        PairIndex = pairIndex;
    }

    /// <summary>Gets the objective or reward model name, or <see langword="null"/> when not recorded.</summary>
    public string? Objective { get; }

    /// <summary>Gets the 0-based index of the offending pair in the scored batch, or -1 when not recorded.</summary>
    public int PairIndex { get; } = -1;
}
