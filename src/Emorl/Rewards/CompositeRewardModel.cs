using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Rewards;

/// <summary>
/// Several reward models scored together as one reward vector, for training one policy on many
/// objectives (for example EMORL's Uniform Weighted and DynaOpt baselines).
/// </summary>
/// <remarks>
/// <see cref="Objectives"/> lists every member's objectives in member order, and
/// <see cref="Score"/> returns their unweighted mean, EMORL's "mean reward". The members are not
/// owned. Not thread-safe.
/// </remarks>
public sealed class CompositeRewardModel : IRewardModel
{
    private readonly IRewardModel[] _members;

    /// <summary>Creates a composite over the given models.</summary>
    /// <param name="name">The composite's name, such as <c>uniform</c>.</param>
    /// <param name="members">At least one model; objective names must be distinct across members.</param>
    /// <exception cref="ArgumentException">The list is empty or two objectives share a name.</exception>
    public CompositeRewardModel(string name, IReadOnlyList<IRewardModel> members)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
        {
            throw new ArgumentException("A composite reward model needs at least one member.", nameof(members));
        }

        Name = name;
        _members = members.ToArray();
        Objectives = _members.SelectMany(m => m.Objectives).ToArray();
        var duplicate = Objectives.GroupBy(o => o, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two members score an objective named '{duplicate.Key}'; give each objective a distinct name.", nameof(members));
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Objectives { get; }

    /// <summary>Scores each pair with the unweighted mean of its objective scores.</summary>
    /// <param name="pairs">The pairs to score.</param>
    /// <returns>One mean score in [0, 1] per pair.</returns>
    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        ScoreObjectives(pairs).Select(row => row.Average()).ToArray();

    /// <inheritdoc />
    public IReadOnlyList<IReadOnlyList<double>> ScoreObjectives(IReadOnlyList<PromptResponse> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var rows = new List<double>[pairs.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new List<double>(Objectives.Count);
        }

        foreach (var member in _members)
        {
            var scores = member.ScoreObjectives(pairs);
            if (scores.Count != pairs.Count)
            {
                throw new InvalidOperationException(
                    $"Reward model '{member.Name}' returned {scores.Count} rows for {pairs.Count} pairs; it must return one row per pair.");
            }

            for (int i = 0; i < rows.Length; i++)
            {
                rows[i].AddRange(scores[i]);
            }
        }

        return rows;
    }
}
