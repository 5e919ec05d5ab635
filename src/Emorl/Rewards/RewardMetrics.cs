using System;
using System.Collections.Generic;
using System.Globalization;

namespace Emorl.Rewards;

/// <summary>
/// Held-out quality metrics for reward models: pairwise ranking accuracy, Pearson correlation and
/// mean absolute error.
/// </summary>
/// <remarks>All methods are pure and thread-safe.</remarks>
public static class RewardMetrics
{
    /// <summary>
    /// Computes the fraction of comparable pairs that the scores order like the targets, where a
    /// comparable pair is two examples with the same prompt and different targets.
    /// </summary>
    /// <param name="examples">The labelled examples; prompts are compared by ordinal string equality.</param>
    /// <param name="scores">One score per example, in the same order.</param>
    /// <returns>
    /// The accuracy in [0, 1], where a tie in score counts as half correct; <see cref="double.NaN"/>
    /// when no pair is comparable.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument or an example is null.</exception>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    /// <remarks>
    /// This is the PAIR reflection metric: pass only the high-quality (target 1) and low-quality
    /// (target 0) examples to get the "hq over lq" accuracy. Cost is O(n + Σ g²) for groups of size g.
    /// </remarks>
    public static double PairwiseRankingAccuracy(IReadOnlyList<ScoredPair> examples, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(scores);
        CheckSameLength(examples.Count, scores.Count, nameof(scores));

        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < examples.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(examples[i], nameof(examples));
            string prompt = examples[i].Pair.Prompt;
            if (!groups.TryGetValue(prompt, out List<int>? members))
            {
                members = new List<int>();
                groups.Add(prompt, members);
            }

            members.Add(i);
        }

        double correct = 0;
        long comparable = 0;
        foreach (List<int> members in groups.Values)
        {
            foreach (int higher in members)
            {
                foreach (int lower in members)
                {
                    if (examples[higher].Target > examples[lower].Target)
                    {
                        comparable++;
                        correct += CompareScores(scores[higher], scores[lower]);
                    }
                }
            }
        }

        return comparable == 0 ? double.NaN : correct / comparable;
    }

    /// <summary>Computes the Pearson correlation coefficient of two samples.</summary>
    /// <param name="x">The first sample, for example predicted scores.</param>
    /// <param name="y">The second sample, for example targets; same length as <paramref name="x"/>.</param>
    /// <returns>
    /// The coefficient in [−1, 1]; <see cref="double.NaN"/> when there are fewer than two values or
    /// either sample is constant.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    /// <remarks>
    /// Uses the two-pass formula Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²), which avoids the cancellation
    /// of the one-pass form.
    /// </remarks>
    public static double PearsonCorrelation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        CheckSameLength(x.Count, y.Count, nameof(y));

        if (x.Count < 2)
        {
            return double.NaN;
        }

        double meanX = Mean(x);
        double meanY = Mean(y);
        double covariance = 0;
        double varianceX = 0;
        double varianceY = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - meanX;
            double dy = y[i] - meanY;
            covariance += dx * dy;
            varianceX += dx * dx;
            varianceY += dy * dy;
        }

        if (varianceX == 0 || varianceY == 0)
        {
            return double.NaN;
        }

        return Math.Clamp(covariance / Math.Sqrt(varianceX * varianceY), -1.0, 1.0);
    }

    /// <summary>Computes the mean absolute difference between predictions and targets.</summary>
    /// <param name="predictions">The predicted values.</param>
    /// <param name="targets">The true values; same length as <paramref name="predictions"/>.</param>
    /// <returns>The mean of |prediction − target|; <see cref="double.NaN"/> for empty lists.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static double MeanAbsoluteError(IReadOnlyList<double> predictions, IReadOnlyList<double> targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        CheckSameLength(predictions.Count, targets.Count, nameof(targets));

        if (predictions.Count == 0)
        {
            return double.NaN;
        }

        double sum = 0;
        for (int i = 0; i < predictions.Count; i++)
        {
            sum += Math.Abs(predictions[i] - targets[i]);
        }

        return sum / predictions.Count;
    }

    private static double CompareScores(double higherTargetScore, double lowerTargetScore)
    {
        if (higherTargetScore > lowerTargetScore)
        {
            return 1.0;
        }

        return higherTargetScore == lowerTargetScore ? 0.5 : 0.0;
    }

    private static double Mean(IReadOnlyList<double> values)
    {
        double sum = 0;
        foreach (double value in values)
        {
            sum += value;
        }

        return sum / values.Count;
    }

    private static void CheckSameLength(int expected, int actual, string parameterName)
    {
        if (expected != actual)
        {
            throw new ArgumentException(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "The lists differ in length ({0} and {1}); pass one value per example.",
                    expected,
                    actual),
                parameterName);
        }
    }
}
