using System;
using System.Globalization;

namespace Emorl.Rewards;

/// <summary>A labelled training or evaluation example for a pair scorer.</summary>
public sealed record ScoredPair
{
    /// <summary>Creates a labelled example.</summary>
    /// <param name="pair">The prompt and response.</param>
    /// <param name="target">
    /// The desired score in [0, 1], for example 1 for a high-quality reflection, 0.5 for a medium
    /// one and 0 for a low-quality one.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="pair"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="target"/> is not a finite number in [0, 1].
    /// </exception>
    public ScoredPair(PromptResponse pair, double target)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (!double.IsFinite(target) || target < 0 || target > 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(target),
                target,
                string.Format(
                    CultureInfo.InvariantCulture,
                    "The target is {0}, but must be a finite number in [0, 1]; rescale the label into that range.",
                    target));
        }

        Pair = pair;
        Target = target;
    }

    /// <summary>Gets the prompt and response.</summary>
    public PromptResponse Pair { get; }

    /// <summary>Gets the desired score, in [0, 1].</summary>
    public double Target { get; }
}
