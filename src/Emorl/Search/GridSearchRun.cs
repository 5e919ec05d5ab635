using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Threading;

namespace Emorl.Search;

/// <summary>
/// The state of one <see cref="HierarchicalGridSearch"/> run: the current box, the score cache,
/// the history and the best point.
/// </summary>
/// <remarks>
/// Points are held as integer numerators on the finest grid, with 2^levels steps per axis, so the
/// cache compares points exactly whatever the bounds. The box is its lower corner plus one side
/// length, the same on every axis.
/// </remarks>
internal sealed class GridSearchRun
{
    private readonly HierarchicalGridSearch _search;
    private readonly int _dimensions;
    private readonly Func<IReadOnlyList<double>, CancellationToken, double> _score;
    private readonly IProgress<GridSearchProgress>? _progress;
    private readonly CancellationToken _cancellationToken;
    private readonly int _gridSize;
    private readonly int _totalEvaluations;
    private readonly Dictionary<int[], double> _cache = new(NumeratorComparer.Instance);
    private readonly List<GridSearchEvaluation> _history = [];
    private readonly int[] _boxLower;
    private readonly double[] _gridScores;
    private int _boxSide;
    private int _skippedPoints;

    public GridSearchRun(
        HierarchicalGridSearch search,
        int dimensions,
        Func<IReadOnlyList<double>, CancellationToken, double> score,
        IProgress<GridSearchProgress>? progress,
        CancellationToken cancellationToken)
    {
        _search = search;
        _dimensions = dimensions;
        _score = score;
        _progress = progress;
        _cancellationToken = cancellationToken;
        _gridSize = HierarchicalGridSearch.Power(3, dimensions);
        _totalEvaluations = search.Levels * _gridSize;
        _boxLower = new int[dimensions];
        _boxSide = 1 << search.Levels;
        _gridScores = new double[_gridSize];
    }

    public double BestScore { get; private set; } = double.NegativeInfinity;

    public IReadOnlyList<double> BestWeights { get; private set; } = [];

    /// <summary>Gets the levels whose whole grid was scored.</summary>
    public int CompletedLevels { get; private set; }

    /// <summary>Gets whether cancellation stopped the run; the visit in progress then is not recorded.</summary>
    public bool IsCanceled { get; private set; }

    /// <summary>
    /// Scores the 3^K grid of the current box, first axis slowest. Returns false, with
    /// <see cref="IsCanceled"/> set, when cancellation stops it part-way.
    /// </summary>
    public bool ScoreGrid(int level)
    {
        int step = _boxSide / 2;
        for (int index = 0; index < _gridSize; index++)
        {
            if (_cancellationToken.IsCancellationRequested)
            {
                IsCanceled = true;
                return false;
            }

            int[] numerators = GridPoint(index, step);
            IReadOnlyList<double> weights = ToWeights(numerators);
            bool fromCache = _cache.TryGetValue(numerators, out double value);
            bool skipped = IsAllZero(weights);
            if (!fromCache)
            {
                if (skipped)
                {
                    value = double.NaN;
                    _skippedPoints++;
                }
                else
                {
                    if (!TryScore(weights, out value))
                    {
                        IsCanceled = true;
                        return false;
                    }

                    CheckFinite(value, weights);
                }

                _cache.Add(numerators, value);
            }

            _gridScores[index] = value;
            _history.Add(new GridSearchEvaluation(weights, value, level, fromCache) { Skipped = skipped });

            // Taking each point that strictly beats the best so far, in grid order, picks the same
            // point as comparing the level's first maximum with the best of earlier levels.
            if (value > BestScore)
            {
                BestScore = value;
                BestWeights = weights;
            }

            _progress?.Report(new GridSearchProgress(
                level, _search.Levels, _history.Count, _totalEvaluations, _cache.Count, BestScore, BestWeights));
        }

        CompletedLevels = level;
        return true;
    }

    /// <summary>Makes the sub-box with the highest sum of corner scores the new box.</summary>
    /// <remarks>
    /// A sub-box with a skipped all-zero corner has no corner sum, so it is never chosen. With
    /// bounds [0, u] that is the sub-box at the origin, [0, u/2]^K, and only at the levels where
    /// the box still touches the origin.
    /// </remarks>
    public void MoveToBestSubBox()
    {
        int subBoxCount = 1 << _dimensions;
        int bestSubBox = -1;
        double bestSum = double.NegativeInfinity;
        for (int subBox = 0; subBox < subBoxCount; subBox++)
        {
            int baseIndex = CornerIndex(subBox);
            double sum = 0.0;
            for (int corner = 0; corner < subBoxCount; corner++)
            {
                sum += _gridScores[baseIndex + CornerIndex(corner)];
            }

            // NaN marks a skipped corner. Strictly greater keeps the first sub-box, in axis order, on ties.
            if (!double.IsNaN(sum) && (bestSubBox < 0 || sum > bestSum))
            {
                bestSum = sum;
                bestSubBox = subBox;
            }
        }

        int step = _boxSide / 2;
        for (int axis = 0; axis < _dimensions; axis++)
        {
            _boxLower[axis] += OffsetBit(bestSubBox, axis) * step;
        }

        _boxSide = step;
    }

    public GridSearchResult ToResult() =>
        new(
            BestWeights,
            BestScore,
            _history.Count,
            _cache.Count,
            HierarchicalGridSearch.ExhaustiveGridSize(_dimensions, _search.Levels),
            _history.AsReadOnly())
        {
            IsPartial = IsCanceled,
            CompletedLevels = CompletedLevels,
            SkippedPoints = _skippedPoints,
        };

    /// <summary>
    /// Calls the score function. Returns false when the function stopped because this run's token
    /// was canceled, so the point stays unscored and the search ends without failing.
    /// </summary>
    private bool TryScore(IReadOnlyList<double> weights, out double value)
    {
        try
        {
            value = _score(weights, _cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
        {
            value = double.NaN;
            return false;
        }
    }

    /// <summary>Tells whether every weight is exactly 0, a point no aggregation accepts.</summary>
    private static bool IsAllZero(IReadOnlyList<double> weights)
    {
        foreach (double weight in weights)
        {
            if (weight != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Gets the 0/1 offset of one axis in a sub-box or corner number, first axis most significant.</summary>
    private int OffsetBit(int bits, int axis) => (bits >> (_dimensions - 1 - axis)) & 1;

    /// <summary>Converts a sub-box or corner number (one bit per axis) to the grid index it offsets by.</summary>
    private int CornerIndex(int bits)
    {
        int index = 0;
        for (int axis = 0; axis < _dimensions; axis++)
        {
            index = (index * 3) + OffsetBit(bits, axis);
        }

        return index;
    }

    private int[] GridPoint(int index, int step)
    {
        int[] numerators = new int[_dimensions];
        for (int axis = _dimensions - 1; axis >= 0; axis--)
        {
            numerators[axis] = _boxLower[axis] + ((index % 3) * step);
            index /= 3;
        }

        return numerators;
    }

    private ReadOnlyCollection<double> ToWeights(int[] numerators)
    {
        double[] weights = new double[numerators.Length];
        for (int axis = 0; axis < numerators.Length; axis++)
        {
            weights[axis] = _search.ToWeight(numerators[axis]);
        }

        return Array.AsReadOnly(weights);
    }

    /// <summary>Rejects a non-finite score, naming the score function's parameter of Search.</summary>
    private static void CheckFinite(double score, IReadOnlyList<double> weights)
    {
        if (!double.IsFinite(score))
        {
            throw new ArgumentException(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "The score function returned {0} at the point {1}, but scores must be finite. Return a finite "
                    + "score for every point in the box, for example a large negative value where evaluation fails.",
                    score,
                    HierarchicalGridSearch.FormatPoint(weights)),
                nameof(score));
        }
    }

    /// <summary>Compares grid points by their numerators.</summary>
    private sealed class NumeratorComparer : IEqualityComparer<int[]>
    {
        public static readonly NumeratorComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(int[] obj)
        {
            var hash = new HashCode();
            foreach (int numerator in obj)
            {
                hash.Add(numerator);
            }

            return hash.ToHashCode();
        }
    }
}
