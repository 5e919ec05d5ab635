using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Training;

/// <summary>Assembles a <see cref="TrainingStepMetrics"/> record from a step's rollout, rewards and update.</summary>
internal static class StepMetricsBuilder
{
    public static TrainingStepMetrics Build(
        int step,
        RolloutSample sample,
        IReadOnlyList<double> rewards,
        UpdateStatistics update,
        double kl,
        double sequenceKl,
        double klCoefficient,
        IReadOnlyList<double> weights,
        IReadOnlyList<string> objectives,
        double seconds)
    {
        var rowMeans = sample.Scores.Select(row => row.Average()).ToArray();
        var (scoreMean, scoreStd) = Moments(rowMeans);
        var perObjective = new Dictionary<string, ScoreStatistics>(StringComparer.Ordinal);
        for (int k = 0; k < objectives.Count; k++)
        {
            var (mean, std) = Moments(sample.Scores.Select(row => row[k]).ToArray());
            perObjective[objectives[k]] = new ScoreStatistics(mean, std);
        }

        int generated = sample.Responses.Sum(r => r.Count);
        return new TrainingStepMetrics(
            step, update.Loss, update.PolicyLoss, kl, scoreMean, scoreStd, rewards.Average(),
            sample.Responses.Average(r => r.Count), update.GradientNorm, generated / seconds)
        {
            ValueLoss = update.ValueLoss,
            ClipFraction = update.ClipFraction,
            ValueClipFraction = update.ValueClipFraction,
            Entropy = update.Entropy,
            ApproximateKl = update.ApproximateKl,
            SequenceKl = sequenceKl,
            KlCoefficient = klCoefficient,
            OptimizerSteps = update.OptimizerSteps,
            ObjectiveWeights = weights.ToArray(),
            Objectives = perObjective,
        };
    }

    private static (double Mean, double Std) Moments(double[] values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
        return (mean, Math.Sqrt(variance));
    }
}
