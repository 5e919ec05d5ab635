using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Emorl.Search;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests.Search;

public class HierarchicalGridSearchTests
{
    private static readonly double[] s_concaveCenter = [0.7, 0.3, 0.55];

    [Fact]
    public void ConcaveMaximumIsFoundWithinOneSixteenth()
    {
        var search = new HierarchicalGridSearch();

        GridSearchResult result = search.Search(3, weights => NegativeSquaredDistance(weights, s_concaveCenter));

        for (int axis = 0; axis < 3; axis++)
        {
            double center = s_concaveCenter[axis];
            Assert.InRange(result.BestWeights[axis], center - (1.0 / 16), center + (1.0 / 16));
        }
    }

    [Fact]
    public void ConcaveMaximumIsNearestFinestGridPoint()
    {
        var search = new HierarchicalGridSearch();

        GridSearchResult result = search.Search(3, weights => NegativeSquaredDistance(weights, s_concaveCenter));

        Assert.Equal(new[] { 22.0 / 32, 10.0 / 32, 18.0 / 32 }, result.BestWeights);
    }

    [Fact]
    public void ThreeAxesTake135VisitsAnd102Calls()
    {
        var search = new HierarchicalGridSearch();
        var scored = new List<double[]>();

        GridSearchResult result = search.Search(3, weights =>
        {
            scored.Add(weights.ToArray());
            return NegativeSquaredDistance(weights, s_concaveCenter);
        });

        Assert.Equal(135, result.Evaluations);
        Assert.Equal(103, result.DistinctPoints);
        Assert.Equal(1, result.SkippedPoints);
        Assert.Equal(102, scored.Count);
        Assert.Equal(135, result.History.Count);
        Assert.Equal(32, result.History.Count(evaluation => evaluation.FromCache));
        Assert.Equal(35_937, (int)result.ExhaustiveGridSize);
    }

    [Fact]
    public void NoPointIsScoredTwice()
    {
        var search = new HierarchicalGridSearch();
        var scored = new HashSet<string>();
        bool repeated = false;

        search.Search(3, weights =>
        {
            repeated |= !scored.Add(string.Join(",", weights));
            return NegativeSquaredDistance(weights, s_concaveCenter);
        });

        Assert.False(repeated);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void CountsFollowDerivedFormulas(int dimensions)
    {
        var search = new HierarchicalGridSearch();
        double[] center = Enumerable.Repeat(0.37, dimensions).ToArray();
        int calls = 0;
        int grid = (int)Math.Pow(3, dimensions);
        int corners = 1 << dimensions;

        GridSearchResult result = search.Search(dimensions, weights =>
        {
            calls++;
            return NegativeSquaredDistance(weights, center);
        });

        Assert.Equal(5 * grid, result.Evaluations);
        Assert.Equal(grid + (4 * (grid - corners)), result.DistinctPoints);
        Assert.Equal(1, result.SkippedPoints);
        Assert.Equal(result.DistinctPoints - 1, calls);
        Assert.Equal(result.Evaluations, result.History.Count);
        Assert.Equal(System.Numerics.BigInteger.Pow(33, dimensions), result.ExhaustiveGridSize);
        Assert.Equal(result.Evaluations, HierarchicalGridSearch.CountEvaluations(dimensions, 5));
        Assert.Equal(result.DistinctPoints, HierarchicalGridSearch.CountDistinctPoints(dimensions, 5));
    }

    [Fact]
    public void OneAxisScoresSevenDistinctPoints()
    {
        var search = new HierarchicalGridSearch();

        GridSearchResult result = search.Search(1, weights => -Math.Abs(weights[0] - 0.6));

        Assert.Equal(15, result.Evaluations);
        Assert.Equal(7, result.DistinctPoints);
        Assert.Equal(0.59375, result.BestWeights[0]);
    }

    [Fact]
    public void HigherDimensionsFindConcaveMaximum()
    {
        var search = new HierarchicalGridSearch();
        double[] center = [0.2, 0.9, 0.45, 0.6, 0.1];

        GridSearchResult result = search.Search(5, weights => NegativeSquaredDistance(weights, center));

        for (int axis = 0; axis < 5; axis++)
        {
            Assert.InRange(result.BestWeights[axis], center[axis] - (1.0 / 16), center[axis] + (1.0 / 16));
        }
    }

    [Fact]
    public void FirstAxisVariesSlowest()
    {
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 1 });

        GridSearchResult result = search.Search(2, weights => 0.0);

        double[][] visited = result.History.Select(evaluation => evaluation.Weights.ToArray()).ToArray();
        Assert.Equal(new[] { 0.0, 0.0 }, visited[0]);
        Assert.Equal(new[] { 0.0, 0.5 }, visited[1]);
        Assert.Equal(new[] { 0.0, 1.0 }, visited[2]);
        Assert.Equal(new[] { 0.5, 0.0 }, visited[3]);
        Assert.Equal(new[] { 1.0, 1.0 }, visited[8]);
    }

    [Fact]
    public void TiesKeepFirstPointAndFirstSubBox()
    {
        // Bounds away from 0, so that no all-zero point is skipped.
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { LowerBound = 1.0, UpperBound = 2.0 });

        GridSearchResult result = search.Search(3, weights => 1.0);

        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, result.BestWeights);
        Assert.Equal(1, result.History.First(evaluation => evaluation.Score == result.BestScore).Level);
        Assert.All(
            result.History.Where(evaluation => evaluation.Level == 5),
            evaluation => Assert.All(evaluation.Weights, weight => Assert.InRange(weight, 1.0, 1.0 + (1.0 / 16))));
    }

    [Fact]
    public void SubBoxTieTakesFirst()
    {
        // Bounds away from 0, so that no all-zero point is skipped and all four sub-boxes tie.
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { LowerBound = 1.0, UpperBound = 2.0 });

        GridSearchResult result = search.Search(2, weights => NegativeSquaredDistance(weights, [1.5, 1.5]));

        Assert.Equal(new[] { 1.5, 1.5 }, result.BestWeights);
        Assert.All(
            result.History.Where(evaluation => evaluation.Level == 2),
            evaluation => Assert.All(evaluation.Weights, weight => Assert.InRange(weight, 1.0, 1.5)));
    }

    [Fact]
    public void SubBoxChosenByCornerSum()
    {
        // On [1, 2]^2, level 1: (1, 1) scores 10, the best single point, but its sub-box sums to
        // 10 + 0 + 0 + 5 = 15 while the upper-right sub-box sums to 4 × 5 = 20.
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { LowerBound = 1.0, UpperBound = 2.0 });

        GridSearchResult result = search.Search(2, weights =>
            weights[0] == 1.0 && weights[1] == 1.0 ? 10.0
            : weights[0] >= 1.5 && weights[1] >= 1.5 ? 5.0
            : 0.0);

        Assert.All(
            result.History.Where(evaluation => evaluation.Level == 2),
            evaluation => Assert.All(evaluation.Weights, weight => Assert.InRange(weight, 1.5, 2.0)));
        Assert.Equal(new[] { 1.0, 1.0 }, result.BestWeights);
        Assert.Equal(10.0, result.BestScore);
    }

    [Fact]
    public void BestChangesOnlyWhenStrictlyBetter()
    {
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 2, LowerBound = 1.0, UpperBound = 2.0 });

        // Level 1: 1.5 scores 1 and both sub-boxes tie at 1, so level 2 covers [1, 1.5], where 1.25 also scores 1.
        GridSearchResult result = search.Search(1, weights => weights[0] == 1.0 || weights[0] == 2.0 ? 0.0 : 1.0);

        Assert.Equal(1.5, result.BestWeights[0]);
    }

    [Fact]
    public void AllZeroPointIsNeverScored()
    {
        var search = new HierarchicalGridSearch();
        var scored = new List<double[]>();

        GridSearchResult result = search.Search(3, weights =>
        {
            scored.Add(weights.ToArray());
            return NegativeSquaredDistance(weights, s_concaveCenter);
        });

        Assert.DoesNotContain(scored, weights => weights.All(w => w == 0));
        GridSearchEvaluation origin = Assert.Single(result.History, visit => visit.Weights.All(w => w == 0));
        Assert.True(origin.Skipped);
        Assert.True(double.IsNaN(origin.Score));
        Assert.Equal(1, result.History.Count(visit => visit.Skipped));
    }

    [Fact]
    public void ZeroInsideBoundsIsSkipped()
    {
        var options = new HierarchicalGridSearchOptions { LowerBound = -1.0, UpperBound = 1.0, Levels = 1 };
        var search = new HierarchicalGridSearch(options);
        var scored = new List<double>();

        GridSearchResult result = search.Search(1, weights =>
        {
            scored.Add(weights[0]);
            return weights[0];
        });

        Assert.Equal(new[] { -1.0, 1.0 }, scored);
        Assert.Equal(1, result.SkippedPoints);
        Assert.Equal(1.0, result.BestWeights[0]);
    }

    [Fact]
    public void SubBoxWithSkippedCornerIsNeverChosen()
    {
        var options = new HierarchicalGridSearchOptions { Levels = 2 };
        var search = new HierarchicalGridSearch(options);

        // 0.5 is the best point, so [0, 0.5] would be chosen if the skipped origin counted as 0.
        GridSearchResult result = search.Search(1, weights => weights[0] switch
        {
            0.5 => 10.0,
            1.0 => -9.0,
            _ => 0.0,
        });

        double[] secondLevel = result.History.Where(visit => visit.Level == 2).Select(visit => visit.Weights[0]).ToArray();
        Assert.Equal(new[] { 0.5, 0.75, 1.0 }, secondLevel);
        Assert.Equal(0.5, result.BestWeights[0]);
    }

    [Fact]
    public void SkippedOnlyCornerNeverBecomesBest()
    {
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 1 });

        GridSearchResult result = search.Search(2, weights => -weights.Sum());

        Assert.NotEqual(new[] { 0.0, 0.0 }, result.BestWeights);
        Assert.Equal(-0.5, result.BestScore);
    }

    [Fact]
    public void BoundsScaleTheGrid()
    {
        var options = new HierarchicalGridSearchOptions { LowerBound = -1.0, UpperBound = 3.0, Levels = 2 };
        var search = new HierarchicalGridSearch(options);

        GridSearchResult result = search.Search(1, weights => -Math.Abs(weights[0] - 2.1));

        double[] visited = result.History.Select(evaluation => evaluation.Weights[0]).ToArray();
        Assert.Equal(new[] { -1.0, 1.0, 3.0, 1.0, 2.0, 3.0 }, visited);
        Assert.Equal(2.0, result.BestWeights[0]);
    }

    [Fact]
    public void ProgressIsReportedAfterEveryVisit()
    {
        var search = new HierarchicalGridSearch();
        var progress = new RecordingProgress();

        search.Search(2, weights => NegativeSquaredDistance(weights, [0.3, 0.8]), progress);

        Assert.Equal(45, progress.Reports.Count);
        Assert.Equal(45, progress.Reports[^1].Evaluations);
        Assert.Equal(45, progress.Reports[^1].TotalEvaluations);
        Assert.Equal(HierarchicalGridSearch.CountDistinctPoints(2, 5), progress.Reports[^1].DistinctPoints);
        Assert.Equal(5, progress.Reports[^1].Level);
        bool bestNeverDrops = progress.Reports
            .Zip(progress.Reports.Skip(1))
            .All(pair => pair.Second.BestScore >= pair.First.BestScore);
        Assert.True(bestNeverDrops);
    }

    [Fact]
    public void CancellationReturnsVisitsDoneSoFar()
    {
        var search = new HierarchicalGridSearch();
        using var cancellation = new CancellationTokenSource();
        int calls = 0;

        GridSearchResult result = search.Search(
            3,
            weights =>
            {
                calls++;
                if (calls == 10)
                {
                    cancellation.Cancel();
                }

                return NegativeSquaredDistance(weights, s_concaveCenter);
            },
            cancellationToken: cancellation.Token);

        // The all-zero origin, the first grid point, is visited and skipped without a score call.
        Assert.Equal(10, calls);
        Assert.True(result.IsPartial);
        Assert.Equal(0, result.CompletedLevels);
        Assert.Equal(11, result.Evaluations);
        Assert.Equal(11, result.DistinctPoints);
        Assert.Equal(1, result.SkippedPoints);
        Assert.Equal(11, result.History.Count);
        GridSearchEvaluation best = result.History.Where(e => !e.Skipped).MaxBy(e => e.Score)!;
        Assert.Equal(best.Score, result.BestScore);
        Assert.Equal(best.Weights, result.BestWeights);
    }

    [Fact]
    public void CancellationFromProgressKeepsCompletedLevels()
    {
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 3 });
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<GridSearchProgress>(p =>
        {
            if (p.Level == 2 && p.Evaluations == 9 + 4)
            {
                cancellation.Cancel();
            }
        });

        GridSearchResult result = search.Search(
            2, weights => NegativeSquaredDistance(weights, [0.3, 0.8]), progress, cancellation.Token);

        Assert.True(result.IsPartial);
        Assert.Equal(1, result.CompletedLevels);
        Assert.Equal(13, result.Evaluations);
        Assert.Equal(13, result.History.Count);
        Assert.All(result.History.Take(9), e => Assert.Equal(1, e.Level));
        Assert.All(result.History.Skip(9), e => Assert.Equal(2, e.Level));
    }

    [Fact]
    public void PointCanceledInsideScoreFunctionIsDropped()
    {
        var search = new HierarchicalGridSearch();
        using var cancellation = new CancellationTokenSource();
        int calls = 0;

        GridSearchResult result = search.Search(
            2,
            (weights, token) =>
            {
                calls++;
                if (calls == 5)
                {
                    cancellation.Cancel();
                    token.ThrowIfCancellationRequested();
                }

                return weights[0];
            },
            cancellationToken: cancellation.Token);

        // Four scored points and the skipped all-zero origin; the interrupted fifth call is dropped.
        Assert.True(result.IsPartial);
        Assert.Equal(5, result.Evaluations);
        Assert.Equal(5, result.DistinctPoints);
        Assert.Equal(1, result.SkippedPoints);
    }

    [Fact]
    public void CancellationByAnotherTokenPropagates()
    {
        var search = new HierarchicalGridSearch();
        using var other = new CancellationTokenSource();
        other.Cancel();

        Assert.Throws<OperationCanceledException>(
            () => search.Search(2, (weights, token) => throw new OperationCanceledException(other.Token)));
    }

    [Fact]
    public void CompleteSearchIsNotPartial()
    {
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 4 });

        GridSearchResult result = search.Search(2, weights => weights[0]);

        Assert.False(result.IsPartial);
        Assert.Equal(4, result.CompletedLevels);
    }

    [Fact]
    public void CanceledTokenScoresNothing()
    {
        var search = new HierarchicalGridSearch();
        int calls = 0;

        GridSearchResult result = search.Search(2, weights => ++calls, cancellationToken: new CancellationToken(canceled: true));

        Assert.Equal(0, calls);
        Assert.True(result.IsPartial);
        Assert.Empty(result.History);
        Assert.Empty(result.BestWeights);
        Assert.Equal(double.NegativeInfinity, result.BestScore);
    }

    [Fact]
    public void SearchLogsStartResultAndLevels()
    {
        var logs = new LogCapture();
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 2 }, logs.For<HierarchicalGridSearch>());

        search.Search(2, weights => weights[0]);

        LogEntry started = Assert.Single(logs.WithEvent("SearchStarted"));
        Assert.Equal(LogLevel.Information, started.Level);
        Assert.Equal(typeof(HierarchicalGridSearch).FullName, started.Category);
        Assert.Contains("18 grid-point visits", started.Message, StringComparison.Ordinal);
        LogEntry finished = Assert.Single(logs.WithEvent("SearchFinished"));
        Assert.Equal(LogLevel.Information, finished.Level);
        Assert.Equal(2, logs.WithEvent("SearchLevelFinished").Count);
        Assert.All(logs.WithEvent("SearchLevelFinished"), e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.Empty(logs.WithEvent("SearchCanceled"));
    }

    [Fact]
    public void CanceledSearchLogsWhatWasDone()
    {
        var logs = new LogCapture();
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 2 }, logs.For<HierarchicalGridSearch>());
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<GridSearchProgress>(p =>
        {
            if (p.Evaluations == 3)
            {
                cancellation.Cancel();
            }
        });

        search.Search(2, weights => weights[0], progress, cancellation.Token);

        LogEntry canceled = Assert.Single(logs.WithEvent("SearchCanceled"));
        Assert.Equal(LogLevel.Information, canceled.Level);
        Assert.Contains("3 of 18 grid-point visits", canceled.Message, StringComparison.Ordinal);
        Assert.Empty(logs.WithEvent("SearchFinished"));
    }

    [Fact]
    public void TokenIsPassedToScoreFunction()
    {
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = 1 });
        using var cancellation = new CancellationTokenSource();
        var received = new List<CancellationToken>();

        search.Search(
            1,
            (weights, token) =>
            {
                received.Add(token);
                return weights[0];
            },
            cancellationToken: cancellation.Token);

        // The all-zero point of the 3-point grid is skipped, not scored.
        Assert.Equal(2, received.Count);
        Assert.All(received, token => Assert.Equal(cancellation.Token, token));
    }

    [Fact]
    public void NonFiniteScoreNamesPoint()
    {
        var search = new HierarchicalGridSearch();

        ArgumentException error = Assert.Throws<ArgumentException>(
            () => search.Search(2, weights => weights[0] == 0.5 && weights[1] == 1.0 ? double.NaN : 0.0));

        Assert.Equal("score", error.ParamName);
        Assert.Contains("(0.5, 1)", error.Message);
        Assert.Contains("NaN", error.Message);
    }

    [Fact]
    public void InfiniteScoreIsRejected()
    {
        var search = new HierarchicalGridSearch();

        Assert.Throws<ArgumentException>(() => search.Search(1, weights => double.PositiveInfinity));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void DimensionsOutsideRangeAreRejected(int dimensions)
    {
        var search = new HierarchicalGridSearch();

        Assert.Throws<ArgumentOutOfRangeException>(() => search.Search(dimensions, weights => 0.0));
    }

    [Fact]
    public void InvalidOptionsAreRejectedTogether()
    {
        var options = new HierarchicalGridSearchOptions { Levels = 0, LowerBound = 1.0, UpperBound = 0.0 };

        ArgumentException error = Assert.Throws<ArgumentException>(() => new HierarchicalGridSearch(options));

        Assert.Contains("Levels is 0", error.Message);
        Assert.Contains("LowerBound (1) must be below UpperBound (0)", error.Message);
    }

    [Fact]
    public void OptionsAreCopiedAtConstruction()
    {
        var options = new HierarchicalGridSearchOptions { Levels = 3 };
        var search = new HierarchicalGridSearch(options);

        options.Levels = 7;

        Assert.Equal(3, search.Levels);
    }

    private static double NegativeSquaredDistance(IReadOnlyList<double> weights, double[] center)
    {
        double sum = 0.0;
        for (int axis = 0; axis < weights.Count; axis++)
        {
            double difference = weights[axis] - center[axis];
            sum += difference * difference;
        }

        return -sum;
    }

    private sealed class RecordingProgress : IProgress<GridSearchProgress>
    {
        public List<GridSearchProgress> Reports { get; } = [];

        public void Report(GridSearchProgress value) => Reports.Add(value);
    }
}
