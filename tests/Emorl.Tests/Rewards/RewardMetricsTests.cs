using System;
using System.Collections.Generic;
using Emorl.Rewards;

namespace Emorl.Tests.Rewards;

public sealed class RewardMetricsTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void RankingAccuracyCountsOrderedPairsWithinPrompts()
    {
        // Prompt a: targets 1, 0.5, 0 with scores 0.9, 0.2, 0.4 → pairs (1>0.5 ok), (1>0 ok), (0.5>0 wrong).
        // Prompt b: targets 1, 0 with scores 0.3, 0.6 → wrong. Accuracy 2 of 4.
        var examples = new List<ScoredPair>
        {
            Example("a", 1.0),
            Example("a", 0.5),
            Example("a", 0.0),
            Example("b", 1.0),
            Example("b", 0.0),
        };
        double[] scores = { 0.9, 0.2, 0.4, 0.3, 0.6 };

        double accuracy = RewardMetrics.PairwiseRankingAccuracy(examples, scores);

        Assert.Equal(0.5, accuracy, Tolerance);
    }

    [Fact]
    public void RankingAccuracyIgnoresPairsAcrossPrompts()
    {
        // Across prompts the order is wrong (a's 1 scores below b's 0), but only (a1, a0) and (b1, b0) count.
        var examples = new List<ScoredPair>
        {
            Example("a", 1.0),
            Example("a", 0.0),
            Example("b", 1.0),
            Example("b", 0.0),
        };
        double[] scores = { 0.2, 0.1, 0.9, 0.8 };

        double accuracy = RewardMetrics.PairwiseRankingAccuracy(examples, scores);

        Assert.Equal(1.0, accuracy, Tolerance);
    }

    [Fact]
    public void RankingAccuracyCountsTiesAsHalf()
    {
        var examples = new List<ScoredPair> { Example("a", 1.0), Example("a", 0.0), Example("a", 0.0) };
        double[] scores = { 0.5, 0.5, 0.1 };

        double accuracy = RewardMetrics.PairwiseRankingAccuracy(examples, scores);

        Assert.Equal(0.75, accuracy, Tolerance);
    }

    [Fact]
    public void RankingAccuracyIsNaNWithoutComparablePairs()
    {
        var examples = new List<ScoredPair>
        {
            Example("a", 1.0),
            Example("b", 0.0),
            Example("c", 0.5),
            Example("c", 0.5),
        };
        double[] scores = { 0.1, 0.2, 0.3, 0.4 };

        double accuracy = RewardMetrics.PairwiseRankingAccuracy(examples, scores);

        Assert.True(double.IsNaN(accuracy));
    }

    [Fact]
    public void RankingAccuracyRejectsMismatchedLengths()
    {
        var examples = new List<ScoredPair> { Example("a", 1.0), Example("a", 0.0) };

        Assert.Throws<ArgumentException>(() => RewardMetrics.PairwiseRankingAccuracy(examples, new[] { 0.5 }));
    }

    [Fact]
    public void PearsonMatchesHandComputation()
    {
        // x̄ = 2.5, ȳ = 2.5; deviations x: −1.5 −0.5 0.5 1.5, y: −0.5 −1.5 1.5 0.5.
        // Σdxdy = 0.75 + 0.75 + 0.75 + 0.75 = 3; Σdx² = Σdy² = 5 → r = 3 / 5 = 0.6.
        double[] x = { 1, 2, 3, 4 };
        double[] y = { 2, 1, 4, 3 };

        double r = RewardMetrics.PearsonCorrelation(x, y);

        Assert.Equal(0.6, r, Tolerance);
    }

    [Fact]
    public void PearsonIsOneForAnIncreasingLinearMap()
    {
        double[] x = { 0.1, 0.4, 0.35, 0.8 };
        double[] y = { 1.2, 2.1, 1.95, 3.3 };

        double r = RewardMetrics.PearsonCorrelation(x, y);

        Assert.Equal(1.0, r, 1e-9);
    }

    [Fact]
    public void PearsonIsNaNForAConstantSample()
    {
        double[] x = { 1, 1, 1 };
        double[] y = { 1, 2, 3 };

        double r = RewardMetrics.PearsonCorrelation(x, y);

        Assert.True(double.IsNaN(r));
    }

    [Fact]
    public void MeanAbsoluteErrorMatchesHandComputation()
    {
        // |0.2−0| + |0.5−1| + |0.9−0.5| = 0.2 + 0.5 + 0.4 = 1.1 → 1.1 / 3.
        double[] predictions = { 0.2, 0.5, 0.9 };
        double[] targets = { 0.0, 1.0, 0.5 };

        double error = RewardMetrics.MeanAbsoluteError(predictions, targets);

        Assert.Equal(1.1 / 3, error, Tolerance);
    }

    [Fact]
    public void MeanAbsoluteErrorIsNaNForEmptyLists()
    {
        double error = RewardMetrics.MeanAbsoluteError(Array.Empty<double>(), Array.Empty<double>());

        Assert.True(double.IsNaN(error));
    }

    private static ScoredPair Example(string prompt, double target) =>
        new(new PromptResponse(prompt, "response"), target);
}
