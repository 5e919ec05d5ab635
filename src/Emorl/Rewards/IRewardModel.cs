using System.Collections.Generic;

namespace Emorl.Rewards;

/// <summary>
/// Scores (client prompt, generated response) pairs for one objective.
/// </summary>
/// <remarks>
/// Scores lie in [0, 1], higher is better. A scorer never sees a reference response. Implementations
/// are called from one thread at a time.
/// </remarks>
public interface IRewardModel
{
    /// <summary>Gets the objective's name, for example <c>reflection</c>.</summary>
    string Name { get; }

    /// <summary>Scores a batch of pairs.</summary>
    /// <param name="pairs">The pairs to score; may be empty.</param>
    /// <returns>One score in [0, 1] per pair, in input order.</returns>
    IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs);
}
