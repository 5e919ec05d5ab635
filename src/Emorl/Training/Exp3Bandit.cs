using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Training;

/// <summary>
/// The Exp3 adversarial bandit: arm i is drawn with probability
/// p_i = (1 − γ) · w_i / Σ_j w_j + γ / n, and a reward x on arm c sets w_c ← w_c · exp(γ · (x / p_c) / n).
/// </summary>
/// <remarks>
/// Auer, Cesa-Bianchi, Freund and Schapire 2002, "The Nonstochastic Multiarmed Bandit Problem",
/// in the form DynaOpt uses (Min et al., LREC-COLING 2024): all weights start at 1, γ = 0.07, and
/// rewards are used as given (DynaOpt's rescaling from [0, 1] to [0, 1] changes nothing), so a
/// negative reward lowers the arm's weight. Draws take a uniform number from the caller, so a run
/// is reproducible from the caller's random state. Not thread-safe.
/// </remarks>
public sealed class Exp3Bandit
{
    private readonly double[] _weights;

    /// <summary>Creates a bandit with every weight at 1.</summary>
    /// <param name="armCount">n, at least 1.</param>
    /// <param name="gamma">γ in (0, 1]: the share of probability spread evenly for exploration. Default 0.07 (DynaOpt).</param>
    public Exp3Bandit(int armCount, double gamma = 0.07)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(armCount);
        if (!(gamma > 0 && gamma <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "Exp3's γ must lie in (0, 1]; DynaOpt uses 0.07.");
        }

        Gamma = gamma;
        _weights = Enumerable.Repeat(1.0, armCount).ToArray();
    }

    /// <summary>Gets n, the number of arms.</summary>
    public int ArmCount => _weights.Length;

    /// <summary>Gets γ.</summary>
    public double Gamma { get; }

    /// <summary>Gets the current weights w_i, in arm order.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>Computes the draw probabilities p_i from the current weights.</summary>
    /// <returns>One probability per arm; they sum to 1.</returns>
    public double[] Probabilities()
    {
        double total = _weights.Sum();
        return _weights.Select(w => (1 - Gamma) * w / total + Gamma / ArmCount).ToArray();
    }

    /// <summary>Draws an arm: the first whose cumulative probability exceeds <paramref name="uniform"/>.</summary>
    /// <param name="uniform">A uniform random number in [0, 1).</param>
    /// <returns>The arm index.</returns>
    public int Draw(double uniform)
    {
        if (!(uniform >= 0 && uniform < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(uniform), uniform, "Pass a uniform random number in [0, 1).");
        }

        var probabilities = Probabilities();
        double cumulative = 0;
        for (int arm = 0; arm < probabilities.Length; arm++)
        {
            cumulative += probabilities[arm];
            if (uniform < cumulative)
            {
                return arm;
            }
        }

        // Rounding can leave the cumulative sum a hair below 1.
        return probabilities.Length - 1;
    }

    /// <summary>Credits a reward to an arm: w_c ← w_c · exp(γ · (x / p_c) / n), with p_c from the weights before the update.</summary>
    /// <param name="arm">The arm that was drawn.</param>
    /// <param name="reward">x, finite; may be negative.</param>
    public void Update(int arm, double reward)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(arm);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(arm, ArmCount);
        if (!double.IsFinite(reward))
        {
            throw new ArgumentOutOfRangeException(nameof(reward), reward, "The bandit reward must be finite.");
        }

        double probability = Probabilities()[arm];
        _weights[arm] *= Math.Exp(Gamma * (reward / probability) / ArmCount);
    }

    /// <summary>Replaces the weights, for example with those saved in a checkpoint.</summary>
    /// <param name="weights">One positive finite weight per arm.</param>
    public void Restore(IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != ArmCount || weights.Any(w => !(w > 0) || !double.IsFinite(w)))
        {
            throw new ArgumentException(
                $"Exp3 weights [{string.Join(", ", weights)}] must be {ArmCount} positive finite numbers.", nameof(weights));
        }

        for (int arm = 0; arm < ArmCount; arm++)
        {
            _weights[arm] = weights[arm];
        }
    }
}
