using System.Collections.Generic;
using System.Numerics;

namespace Emorl.Search;

/// <summary>The outcome of a <see cref="HierarchicalGridSearch"/>.</summary>
/// <param name="BestWeights">
/// The best point seen at any level, one weight per axis. It may lie outside the last level's box.
/// </param>
/// <param name="BestScore">The score of <paramref name="BestWeights"/>.</param>
/// <param name="Evaluations">The grid-point visits, cached ones included: levels × 3^K.</param>
/// <param name="DistinctPoints">
/// The distinct points visited: 3^K + (levels − 1) × (3^K − 2^K). The score function is called
/// once for each of them except the <see cref="SkippedPoints"/>.
/// </param>
/// <param name="ExhaustiveGridSize">
/// The points an exhaustive search at the same finest step would score: (2^levels + 1)^K.
/// </param>
/// <param name="History">Every visit, in visiting order.</param>
public sealed record GridSearchResult(
    IReadOnlyList<double> BestWeights,
    double BestScore,
    int Evaluations,
    int DistinctPoints,
    BigInteger ExhaustiveGridSize,
    IReadOnlyList<GridSearchEvaluation> History)
{
    /// <summary>
    /// Gets the distinct points left unscored because every weight is 0: 1 when the grid contains
    /// the origin, as it does with the default bounds [0, 1], else 0. Such a point has no score and
    /// is never the best point.
    /// </summary>
    public int SkippedPoints { get; init; }
}
