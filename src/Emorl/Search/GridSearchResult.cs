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
/// <remarks>
/// A search stopped by cancellation returns a partial result, with <see cref="IsPartial"/> true:
/// <see cref="BestWeights"/> and <see cref="BestScore"/> are the best among the visits completed,
/// <see cref="Evaluations"/>, <see cref="DistinctPoints"/> and <see cref="History"/> count and hold
/// only those visits, and <see cref="CompletedLevels"/> gives how many levels were scored in full.
/// </remarks>
public sealed record GridSearchResult(
    IReadOnlyList<double> BestWeights,
    double BestScore,
    int Evaluations,
    int DistinctPoints,
    BigInteger ExhaustiveGridSize,
    IReadOnlyList<GridSearchEvaluation> History)
{
    /// <summary>
    /// Gets whether cancellation stopped the search before its last grid-point visit. When true and no visit
    /// was completed, <see cref="BestWeights"/> is empty and <see cref="BestScore"/> is negative infinity.
    /// </summary>
    public bool IsPartial { get; init; }

    /// <summary>Gets the levels whose whole 3^K grid was scored: all levels unless <see cref="IsPartial"/>.</summary>
    public int CompletedLevels { get; init; }

    /// <summary>
    /// Gets the distinct points left unscored because every weight is 0: 1 when the grid contains
    /// the origin, as it does with the default bounds [0, 1], else 0. Such a point has no score and
    /// is never the best point.
    /// </summary>
    public int SkippedPoints { get; init; }
}
