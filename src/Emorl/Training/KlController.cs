using System;

namespace Emorl.Training;

/// <summary>
/// The coefficient β of the KL(π ‖ π_ref) penalty: fixed, or adapted after every rollout so that
/// the observed KL moves toward a target.
/// </summary>
/// <remarks>
/// The adaptive rule is Ziegler et al. 2019 ("Fine-Tuning Language Models from Human
/// Preferences"): e = clip(KL / target − 1, −0.2, 0.2), then β ← β · (1 + e · n / horizon), with n
/// the sequences in the rollout. TRL 0.4.1's PPOConfig defaults are target 6 and horizon 10,000.
/// Not thread-safe.
/// </remarks>
public sealed class KlController
{
    private const double MaxProportionalError = 0.2;

    /// <summary>Creates a fixed controller that always returns <paramref name="coefficient"/>.</summary>
    /// <param name="coefficient">β ≥ 0.</param>
    /// <returns>A new controller.</returns>
    public static KlController CreateFixed(double coefficient) => new(coefficient, null, 1);

    /// <summary>Creates an adaptive controller.</summary>
    /// <param name="initialCoefficient">β at the start, &gt; 0 (a zero β could never grow).</param>
    /// <param name="targetKl">The KL per sequence to steer toward, &gt; 0, in nats.</param>
    /// <param name="horizon">How many sequences a full correction takes, &gt; 0.</param>
    /// <returns>A new controller.</returns>
    public static KlController CreateAdaptive(double initialCoefficient, double targetKl, double horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCoefficient);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetKl);
        return new KlController(initialCoefficient, targetKl, horizon);
    }

    private KlController(double coefficient, double? targetKl, double horizon)
    {
        if (!double.IsFinite(coefficient) || coefficient < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(coefficient), coefficient, "The KL coefficient must be a finite number ≥ 0.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        Coefficient = coefficient;
        TargetKl = targetKl;
        Horizon = horizon;
    }

    /// <summary>Gets or sets the current β; set it to restore a checkpoint.</summary>
    public double Coefficient { get; set; }

    /// <summary>Gets the target KL per sequence, or null for a fixed coefficient.</summary>
    public double? TargetKl { get; }

    /// <summary>Gets the horizon in sequences (adaptive controller only).</summary>
    public double Horizon { get; }

    /// <summary>Gets whether β adapts to the observed KL.</summary>
    public bool IsAdaptive => TargetKl is not null;

    /// <summary>Updates β from the KL observed in the last rollout; a fixed controller ignores it.</summary>
    /// <param name="observedKl">Mean KL per sequence of the rollout, in nats.</param>
    /// <param name="sequenceCount">n, the sequences in the rollout, at least 1.</param>
    /// <returns>The new β.</returns>
    public double Update(double observedKl, int sequenceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceCount);
        if (TargetKl is not double target || !double.IsFinite(observedKl))
        {
            return Coefficient;
        }

        double error = Math.Clamp(observedKl / target - 1, -MaxProportionalError, MaxProportionalError);
        Coefficient *= 1 + error * sequenceCount / Horizon;
        return Coefficient;
    }
}
