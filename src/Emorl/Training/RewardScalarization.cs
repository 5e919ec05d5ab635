using System;
using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>Turns a batch of reward vectors, one value per objective, into one scalar reward per sample.</summary>
public static class RewardScalarization
{
    private const double Epsilon = 1e-8;

    /// <summary>
    /// Computes Σ_k w_k · r_k for each sample, optionally after standardising each objective over the
    /// batch: r_k ← (r_k − mean_k) / (std_k + 1e-8), with the population standard deviation.
    /// </summary>
    /// <param name="rewards">One row per sample, each with K rewards in objective order.</param>
    /// <param name="weights">K finite weights.</param>
    /// <param name="normalizeObjectives">
    /// Whether to standardise each objective first. Without it an objective with a wide spread
    /// dominates the sum, and two samples whose raw rewards have equal sums get equal scalars even
    /// when they differ in the objectives that vary little across the batch. An objective constant
    /// over the batch standardises to 0.
    /// </param>
    /// <returns>One scalar per sample.</returns>
    /// <exception cref="ArgumentException">A row has the wrong length, or a weight is not finite.</exception>
    public static double[] WeightedSum(
        IReadOnlyList<IReadOnlyList<double>> rewards, IReadOnlyList<double> weights, bool normalizeObjectives)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(weights);
        Validate(rewards, weights);
        int count = rewards.Count;
        int objectives = weights.Count;
        var result = new double[count];
        for (int k = 0; k < objectives; k++)
        {
            var (mean, std) = normalizeObjectives ? Moments(rewards, k) : (0.0, 1.0);
            double scale = normalizeObjectives ? 1 / (std + Epsilon) : 1;
            for (int i = 0; i < count; i++)
            {
                result[i] += weights[k] * (rewards[i][k] - mean) * scale;
            }
        }

        return result;
    }

    private static void Validate(IReadOnlyList<IReadOnlyList<double>> rewards, IReadOnlyList<double> weights)
    {
        for (int k = 0; k < weights.Count; k++)
        {
            if (!double.IsFinite(weights[k]))
            {
                throw new ArgumentException($"Objective weight {k} is {weights[k]}; every weight must be finite.", nameof(weights));
            }
        }

        for (int i = 0; i < rewards.Count; i++)
        {
            if (rewards[i].Count != weights.Count)
            {
                throw new ArgumentException(
                    $"Reward row {i} has {rewards[i].Count} values but there are {weights.Count} weights; " +
                    "pass one reward per objective in every row.", nameof(rewards));
            }
        }
    }

    private static (double Mean, double Std) Moments(IReadOnlyList<IReadOnlyList<double>> rewards, int objective)
    {
        if (rewards.Count == 0)
        {
            return (0, 1);
        }

        double mean = 0;
        foreach (var row in rewards)
        {
            mean += row[objective];
        }

        mean /= rewards.Count;
        double squares = 0;
        foreach (var row in rewards)
        {
            double deviation = row[objective] - mean;
            squares += deviation * deviation;
        }

        return (mean, Math.Sqrt(squares / rewards.Count));
    }
}
