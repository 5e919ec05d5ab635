using System.Collections.Generic;

namespace Emorl.Search;

/// <summary>The state of a <see cref="HierarchicalGridSearch"/> after one grid-point visit.</summary>
/// <param name="Level">The current 1-based level.</param>
/// <param name="Levels">The number of levels in the search.</param>
/// <param name="Evaluations">The grid-point visits so far, cached ones included.</param>
/// <param name="TotalEvaluations">The grid-point visits the whole search makes: levels × 3^K.</param>
/// <param name="DistinctPoints">The distinct points visited so far, a skipped all-zero point included.</param>
/// <param name="BestScore">The best score so far.</param>
/// <param name="BestWeights">The point with <paramref name="BestScore"/>.</param>
public sealed record GridSearchProgress(
    int Level,
    int Levels,
    int Evaluations,
    int TotalEvaluations,
    int DistinctPoints,
    double BestScore,
    IReadOnlyList<double> BestWeights);
