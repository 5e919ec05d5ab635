using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Threading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Emorl.Search;

/// <summary>
/// Searches [lower, upper]^K for the weights with the highest score by refining a 3-point-per-axis
/// grid level by level: EMORL's hierarchical grid search.
/// </summary>
/// <remarks>
/// <para>
/// Source: Kong et al., "EMORL: Ensemble Multi-Objective Reinforcement Learning for Efficient and
/// Flexible LLM Fine-Tuning", SIGDIAL 2025, and its reference code (github.com/engineerkong/EMORL),
/// which fixes K = 3. Each level lays 3 evenly spaced values per axis over the current box (3^K
/// points, first axis slowest), scores them, and keeps the level's best point if it strictly beats
/// the best so far. The box has 2^K sub-boxes spanned by two adjacent values per axis. The one
/// whose 2^K corner scores have the highest sum becomes the next box, so each side halves. On ties
/// the first sub-box in the same axis order wins. The result is the best point seen at any level, which may lie
/// outside the final box. Steps are multiples of (upper − lower) / 2^levels.
/// </para>
/// <para>
/// Cost: levels × 3^K grid-point visits. A cache keyed on the exact grid point means the score
/// function runs once per distinct point, 3^K + (levels − 1) × (3^K − 2^K) times, because each
/// level's grid shares only the 2^K corners of the chosen sub-box with earlier grids. With the
/// default 5 levels and K = 3 that is 135 visits and 103 calls, against 33^3 = 35,937 points for an
/// exhaustive grid at the same 1/32 step. The cache changes nothing when the score function is
/// deterministic. The all-zero point, which no aggregation accepts, is visited but never scored:
/// it counts in <see cref="GridSearchResult.SkippedPoints"/>, so with the default bounds the score
/// function runs one time fewer, and a sub-box with that corner is never chosen.
/// </para>
/// <para>
/// An instance holds only its validated options, so one instance may run several searches at once
/// on different threads. Each search calls the score function on the calling thread, one point at a
/// time.
/// </para>
/// </remarks>
public sealed partial class HierarchicalGridSearch
{
    /// <summary>
    /// The largest number of axes: levels × 3^K visits must fit in <see cref="int"/> at 20 levels.
    /// </summary>
    public const int MaxDimensions = 16;

    private readonly ILogger<HierarchicalGridSearch> _logger;

    /// <summary>Initializes a search with validated options.</summary>
    /// <param name="options">
    /// The options; <see langword="null"/> means 5 levels over [0, 1]. Copied, so later changes have no effect.
    /// </param>
    /// <param name="logger">The logger for level summaries (debug) and the result (information).</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="options"/> has an invalid value. The message lists every one.
    /// </exception>
    public HierarchicalGridSearch(
        HierarchicalGridSearchOptions? options = null,
        ILogger<HierarchicalGridSearch>? logger = null)
    {
        options ??= new HierarchicalGridSearchOptions();
        IReadOnlyList<string> failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new ArgumentException(
                "Invalid hierarchical grid search options: " + string.Join(" ", failures),
                nameof(options));
        }

        Levels = options.Levels;
        LowerBound = options.LowerBound;
        UpperBound = options.UpperBound;
        _logger = logger ?? NullLogger<HierarchicalGridSearch>.Instance;
    }

    /// <summary>Gets the number of levels, in [1, 20].</summary>
    public int Levels { get; }

    /// <summary>Gets the lowest value searched on every axis.</summary>
    public double LowerBound { get; }

    /// <summary>Gets the highest value searched on every axis.</summary>
    public double UpperBound { get; }

    /// <summary>Computes the grid-point visits of a search: levels × 3^K.</summary>
    /// <param name="dimensions">The number of axes K, in [1, <see cref="MaxDimensions"/>].</param>
    /// <param name="levels">The number of levels, in [1, 20].</param>
    /// <returns>The number of visits, cached ones included.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public static int CountEvaluations(int dimensions, int levels)
    {
        CheckDimensions(dimensions);
        CheckLevels(levels);

        return levels * Power(3, dimensions);
    }

    /// <summary>Computes the score-function calls of a search: 3^K + (levels − 1) × (3^K − 2^K).</summary>
    /// <param name="dimensions">The number of axes K, in [1, <see cref="MaxDimensions"/>].</param>
    /// <param name="levels">The number of levels, in [1, 20].</param>
    /// <returns>The number of distinct points scored.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public static int CountDistinctPoints(int dimensions, int levels)
    {
        CheckDimensions(dimensions);
        CheckLevels(levels);

        int gridSize = Power(3, dimensions);
        return gridSize + ((levels - 1) * (gridSize - Power(2, dimensions)));
    }

    /// <summary>Searches for the weights with the highest score.</summary>
    /// <param name="dimensions">The number of axes K (objectives), in [1, <see cref="MaxDimensions"/>].</param>
    /// <param name="score">
    /// Returns the score of a point, higher is better, and must be finite. Called once per distinct
    /// grid point, on the calling thread, except the all-zero point, which no aggregation accepts:
    /// it is recorded as skipped, and a sub-box with that corner is never chosen.
    /// </param>
    /// <param name="progress">Receives the state after every grid-point visit, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">
    /// Checked before every grid-point visit. Once it is canceled, the search stops and returns what it
    /// has scored instead of throwing.
    /// </param>
    /// <returns>
    /// The best point, the counts and the full history. After cancellation the result is partial
    /// (<see cref="GridSearchResult.IsPartial"/>): it contains the visits completed before the token was
    /// canceled and the best of them.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="score"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimensions"/> is outside its range.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="score"/> returned NaN or an infinity. The message names the point and the value.
    /// </exception>
    public GridSearchResult Search(
        int dimensions,
        Func<IReadOnlyList<double>, double> score,
        IProgress<GridSearchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(score);

        return Search(dimensions, (weights, _) => score(weights), progress, cancellationToken);
    }

    /// <summary>
    /// Searches for the weights with the highest score, passing the cancellation token to the score function.
    /// </summary>
    /// <param name="dimensions">The number of axes K (objectives), in [1, <see cref="MaxDimensions"/>].</param>
    /// <param name="score">
    /// Returns the score of a point, higher is better, and must be finite. It may throw
    /// <see cref="OperationCanceledException"/> when the token is canceled. Called once per distinct
    /// grid point, on the calling thread, except the all-zero point, which is recorded as skipped.
    /// </param>
    /// <param name="progress">Receives the state after every grid-point visit, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">
    /// Checked before every grid-point visit and passed to <paramref name="score"/>. Once it is
    /// canceled, the search stops and returns what it has scored instead of throwing.
    /// </param>
    /// <returns>
    /// The best point, the counts and the full history. After cancellation the result is partial
    /// (<see cref="GridSearchResult.IsPartial"/>): it contains the visits completed before the token was
    /// canceled and the best of them. A point whose score function threw
    /// <see cref="OperationCanceledException"/> for this token is not recorded.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="score"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimensions"/> is outside its range.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="score"/> returned NaN or an infinity. The message names the point and the value.
    /// </exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="score"/> threw it for a token other than <paramref name="cancellationToken"/>.
    /// </exception>
    public GridSearchResult Search(
        int dimensions,
        Func<IReadOnlyList<double>, CancellationToken, double> score,
        IProgress<GridSearchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(score);
        CheckDimensions(dimensions);

        long started = Stopwatch.GetTimestamp();
        int totalEvaluations = CountEvaluations(dimensions, Levels);
        LogSearchStarted(_logger, dimensions, Levels, LowerBound, UpperBound, totalEvaluations);
        var run = new GridSearchRun(this, dimensions, score, progress, cancellationToken);
        for (int level = 1; level <= Levels; level++)
        {
            if (!run.ScoreGrid(level))
            {
                break;
            }

            LogLevelFinished(_logger, level, Levels, run.BestScore, run.BestWeights);
            if (level < Levels)
            {
                run.MoveToBestSubBox();
            }
        }

        GridSearchResult result = run.ToResult();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (result.IsPartial)
        {
            LogSearchCanceled(
                _logger, result.CompletedLevels, Levels, result.Evaluations, totalEvaluations,
                result.BestWeights, result.BestScore, seconds);
        }
        else
        {
            LogSearchFinished(
                _logger,
                result.BestWeights,
                result.BestScore,
                result.Evaluations,
                result.DistinctPoints - result.SkippedPoints,
                result.SkippedPoints,
                seconds);
        }

        return result;
    }

    /// <summary>Formats a point as <c>(w1, w2, ...)</c> with round-trip precision, for messages.</summary>
    internal static string FormatPoint(IReadOnlyList<double> weights) =>
        "(" + string.Join(", ", weights.Select(w => w.ToString("R", CultureInfo.InvariantCulture))) + ")";

    /// <summary>Converts a numerator on the 2^levels grid to a weight.</summary>
    internal double ToWeight(int numerator)
    {
        // t is a multiple of 2^-levels, so 1 - t is exact and both ends map exactly to the bounds.
        double t = numerator / (double)(1 << Levels);
        return (LowerBound * (1.0 - t)) + (UpperBound * t);
    }

    /// <summary>Computes a small integer power. Callers keep the result inside <see cref="int"/>.</summary>
    internal static int Power(int baseValue, int exponent)
    {
        int result = 1;
        for (int i = 0; i < exponent; i++)
        {
            result *= baseValue;
        }

        return result;
    }

    /// <summary>Computes the exhaustive grid size (2^levels + 1)^K.</summary>
    internal static BigInteger ExhaustiveGridSize(int dimensions, int levels) =>
        BigInteger.Pow((BigInteger.One << levels) + 1, dimensions);

    private static void CheckDimensions(int dimensions)
    {
        if (dimensions is < 1 or > MaxDimensions)
        {
            throw new ArgumentOutOfRangeException(
                nameof(dimensions),
                dimensions,
                $"The number of axes is {dimensions} but must be in [1, {MaxDimensions}]; "
                + "pass the number of objectives.");
        }
    }

    private static void CheckLevels(int levels)
    {
        if (levels is < HierarchicalGridSearchOptions.MinLevels or > HierarchicalGridSearchOptions.MaxLevels)
        {
            throw new ArgumentOutOfRangeException(
                nameof(levels),
                levels,
                $"The number of levels is {levels} but must be in [{HierarchicalGridSearchOptions.MinLevels}, "
                + $"{HierarchicalGridSearchOptions.MaxLevels}].");
        }
    }

    [LoggerMessage(
        EventId = 1,
        EventName = "SearchLevelFinished",
        Level = LogLevel.Debug,
        Message = "Grid search level {Level}/{Levels} finished: best score {BestScore} at {BestWeights}")]
    private static partial void LogLevelFinished(
        ILogger logger,
        int level,
        int levels,
        double bestScore,
        IReadOnlyList<double> bestWeights);

    [LoggerMessage(
        EventId = 2,
        EventName = "SearchFinished",
        Level = LogLevel.Information,
        Message = "Grid search finished: best weights {BestWeights}, score {BestScore}, "
            + "{Evaluations} grid-point visits, {ScoreCalls} score-function calls, "
            + "{SkippedPoints} all-zero point(s) skipped, {Seconds:F1} s")]
    private static partial void LogSearchFinished(
        ILogger logger,
        IReadOnlyList<double> bestWeights,
        double bestScore,
        int evaluations,
        int scoreCalls,
        int skippedPoints,
        double seconds);

    [LoggerMessage(
        EventId = 3,
        EventName = "SearchStarted",
        Level = LogLevel.Information,
        Message = "Grid search started: {Dimensions} axes over [{LowerBound}, {UpperBound}], {Levels} levels, "
            + "{TotalEvaluations} grid-point visits")]
    private static partial void LogSearchStarted(
        ILogger logger,
        int dimensions,
        int levels,
        double lowerBound,
        double upperBound,
        int totalEvaluations);

    [LoggerMessage(
        EventId = 4,
        EventName = "SearchCanceled",
        Level = LogLevel.Information,
        Message = "Grid search canceled after {CompletedLevels}/{Levels} complete levels and {Evaluations} of "
            + "{TotalEvaluations} grid-point visits: best weights so far {BestWeights}, score {BestScore}, {Seconds:F1} s")]
    private static partial void LogSearchCanceled(
        ILogger logger,
        int completedLevels,
        int levels,
        int evaluations,
        int totalEvaluations,
        IReadOnlyList<double> bestWeights,
        double bestScore,
        double seconds);
}
