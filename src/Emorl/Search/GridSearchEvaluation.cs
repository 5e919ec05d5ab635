using System.Collections.Generic;

namespace Emorl.Search;

/// <summary>One visit of a grid point during a <see cref="HierarchicalGridSearch"/>.</summary>
/// <param name="Weights">The point, one weight per axis.</param>
/// <param name="Score">The point's score, or <see cref="double.NaN"/> when <see cref="Skipped"/> is set.</param>
/// <param name="Level">The 1-based level whose grid contained the point.</param>
/// <param name="FromCache">
/// <see langword="true"/> when the score came from an earlier level's visit rather than a call
/// of the score function.
/// </param>
public sealed record GridSearchEvaluation(IReadOnlyList<double> Weights, double Score, int Level, bool FromCache)
{
    /// <summary>
    /// Gets a value indicating whether the point was not scored because every weight is 0, a point that no
    /// aggregation accepts.
    /// </summary>
    public bool Skipped { get; init; }
}
