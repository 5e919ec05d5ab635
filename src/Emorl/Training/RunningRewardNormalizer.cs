using System;
using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>
/// Normalises scalar rewards by running statistics over every reward seen so far:
/// clip((r − mean) / sqrt(variance + 1e-8), −c, c).
/// </summary>
/// <remarks>
/// The statistics merge each batch with Chan et al.'s parallel update of count, mean and sum of
/// squared deviations, so the result does not depend on how rewards were split into batches. Save
/// <see cref="State"/> with a checkpoint and pass it back to <see cref="Restore"/> to resume. Not
/// thread-safe.
/// </remarks>
public sealed class RunningRewardNormalizer
{
    private const double Epsilon = 1e-8;

    /// <summary>Creates a normaliser with empty statistics.</summary>
    /// <param name="clip">c &gt; 0: normalised rewards are clipped to [−c, c]. Infinity turns clipping off.</param>
    public RunningRewardNormalizer(double clip = 10)
    {
        if (!(clip > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(clip), clip, "The clip bound must be positive; use infinity to turn clipping off.");
        }

        Clip = clip;
    }

    /// <summary>Gets c, the bound of the normalised rewards.</summary>
    public double Clip { get; }

    /// <summary>Gets the running count, mean and sum of squared deviations.</summary>
    public RunningMoments State { get; private set; } = new(0, 0, 0);

    /// <summary>Gets the running population variance, or 0 before any reward.</summary>
    public double Variance => State.Count == 0 ? 0 : State.SumOfSquaredDeviations / State.Count;

    /// <summary>Replaces the statistics, for example with those saved in a checkpoint.</summary>
    /// <param name="state">The saved statistics.</param>
    public void Restore(RunningMoments state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count < 0 || !double.IsFinite(state.Mean) || !(state.SumOfSquaredDeviations >= 0))
        {
            throw new ArgumentException(
                $"Running reward statistics (count {state.Count}, mean {state.Mean}, sum of squares {state.SumOfSquaredDeviations}) are invalid.",
                nameof(state));
        }

        State = state;
    }

    /// <summary>Adds a batch to the statistics, then normalises and clips it with the updated statistics.</summary>
    /// <param name="rewards">The batch's rewards, each finite.</param>
    /// <returns>The normalised rewards, in input order.</returns>
    public double[] Normalize(IReadOnlyList<double> rewards)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        Update(rewards);
        double scale = 1 / Math.Sqrt(Variance + Epsilon);
        var result = new double[rewards.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = Math.Clamp((rewards[i] - State.Mean) * scale, -Clip, Clip);
        }

        return result;
    }

    private void Update(IReadOnlyList<double> rewards)
    {
        if (rewards.Count == 0)
        {
            return;
        }

        double batchMean = 0;
        foreach (double reward in rewards)
        {
            batchMean += reward;
        }

        batchMean /= rewards.Count;
        double batchSquares = 0;
        foreach (double reward in rewards)
        {
            batchSquares += (reward - batchMean) * (reward - batchMean);
        }

        long count = State.Count + rewards.Count;
        double delta = batchMean - State.Mean;
        double mean = State.Mean + delta * rewards.Count / count;
        double squares = State.SumOfSquaredDeviations + batchSquares + delta * delta * State.Count * rewards.Count / count;
        State = new RunningMoments(count, mean, squares);
    }
}
