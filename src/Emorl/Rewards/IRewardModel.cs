using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Rewards;

/// <summary>
/// Scores (client prompt, generated response) pairs on one objective, or on several at once.
/// </summary>
/// <remarks>
/// Scores lie in [0, 1], higher is better. A scorer never sees a reference response. A model that
/// scores several objectives lists them in <see cref="Objectives"/> and overrides
/// <see cref="ScoreObjectives"/>; <see cref="Score"/> then returns one summary score per pair, such
/// as the mean over objectives. Implementations are called from one thread at a time.
/// </remarks>
public interface IRewardModel
{
    /// <summary>Gets the model's name, for example <c>reflection</c>.</summary>
    string Name { get; }

    /// <summary>Gets the objectives this model scores, in the column order of <see cref="ScoreObjectives"/>.</summary>
    /// <remarks>The default is one objective named <see cref="Name"/>.</remarks>
    IReadOnlyList<string> Objectives => [Name];

    /// <summary>Scores a batch of pairs.</summary>
    /// <param name="pairs">The pairs to score; may be empty.</param>
    /// <returns>One score in [0, 1] per pair, in input order.</returns>
    IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs);

    /// <summary>Scores a batch of pairs on every objective.</summary>
    /// <param name="pairs">The pairs to score; may be empty.</param>
    /// <returns>One row per pair, in input order, each with one score in [0, 1] per objective in <see cref="Objectives"/> order.</returns>
    /// <remarks>The default wraps <see cref="Score"/> as a single column.</remarks>
    /// <exception cref="RewardModelException">The default implementation got null from <see cref="Score"/>.</exception>
    IReadOnlyList<IReadOnlyList<double>> ScoreObjectives(IReadOnlyList<PromptResponse> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var scores = Score(pairs) ?? throw new RewardModelException(
            $"Reward model '{Name}' returned null from Score for {pairs.Count} pairs; return one score per pair, in input order.",
            Name,
            -1);
        return scores.Select(score => (IReadOnlyList<double>)[score]).ToArray();
    }
}
