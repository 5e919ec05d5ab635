using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Training;

/// <summary>
/// EMORL's stopping rule: converged when the last N validation rewards have a coefficient of
/// variation (population standard deviation over mean) below a threshold.
/// </summary>
public static class ConvergenceRule
{
    /// <summary>Tells whether the recent validation rewards have settled.</summary>
    /// <param name="history">Validation rewards in order.</param>
    /// <param name="window">N, how many recent values to read (EMORL: 20).</param>
    /// <param name="threshold">Threshold on std/mean (EMORL: 0.015).</param>
    /// <returns>False until <paramref name="window"/> values exist, or when their mean is not positive.</returns>
    public static bool HasConverged(IReadOnlyList<double> history, int window, double threshold)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 2);
        if (history.Count < window)
        {
            return false;
        }

        var recent = history.Skip(history.Count - window).ToArray();
        double mean = recent.Average();
        if (!(mean > 0))
        {
            return false;
        }

        double variance = recent.Sum(v => (v - mean) * (v - mean)) / window;
        return Math.Sqrt(variance) / mean < threshold;
    }
}
