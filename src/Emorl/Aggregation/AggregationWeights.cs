using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Emorl.Aggregation;

/// <summary>
/// Checks the weights that enter every aggregation: one per model, each finite, ≥ 0 and within
/// float32's range, and not all zero once converted to float32.
/// </summary>
/// <remarks>
/// All-zero weights are rejected because they leave nothing to aggregate. Hidden-state aggregation
/// would feed a zero vector to the LM head, and the logits mixture would have no distribution to
/// normalise. Parameter aggregation would return the base model under an ensemble's name.
/// </remarks>
internal static class AggregationWeights
{
    /// <summary>Throws when <paramref name="weights"/> breaks a rule, naming the value and the rule.</summary>
    /// <param name="weights">The weights to check.</param>
    /// <param name="names">The model names, in weight order, used in messages.</param>
    /// <param name="paramName">The caller's parameter name for the weights.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The weights have the wrong length, a NaN, infinite, negative or above-float32 value, or are all zero in float32.
    /// </exception>
    public static void Validate(IReadOnlyList<double> weights, IReadOnlyList<string> names, string paramName)
    {
        ArgumentNullException.ThrowIfNull(weights, paramName);

        if (weights.Count != names.Count)
        {
            throw new ArgumentException(
                $"Got {weights.Count} weights for {names.Count} models ({string.Join(", ", names)}); "
                + "pass one weight per model, in the same order.",
                paramName);
        }

        bool anyPositive = false;
        for (int k = 0; k < weights.Count; k++)
        {
            double weight = weights[k];
            string value = weight.ToString(CultureInfo.InvariantCulture);
            if (!double.IsFinite(weight))
            {
                throw new ArgumentException(
                    $"Weight {k} ('{names[k]}') is {value}, but every weight must be a finite number; "
                    + "check the computation or input that produced it.",
                    paramName);
            }

            if (weight < 0)
            {
                throw new ArgumentException(
                    $"Weight {k} ('{names[k]}') is {value}, but every weight must be ≥ 0; "
                    + "use 0 to leave a model out.",
                    paramName);
            }

            if (weight > float.MaxValue)
            {
                throw new ArgumentException(
                    $"Weight {k} ('{names[k]}') is {value}, above float32's maximum of 3.4E+38, the precision the "
                    + "models compute in. Divide every weight by the same factor, such as the largest weight; "
                    + "greedy decoding depends only on the ratios of the weights.",
                    paramName);
            }

            // A positive weight below float32's smallest value (about 1.4E-45) becomes 0 in the models.
            anyPositive |= (float)weight > 0;
        }

        if (!anyPositive)
        {
            string reason = weights.Any(w => w > 0)
                ? "every positive weight is below float32's smallest value (about 1.4E-45), so each becomes 0 in the "
                  + "float32 models; multiply every weight by the same factor"
                : "there is nothing to aggregate; give at least one model a positive weight";
            throw new ArgumentException($"All {weights.Count} weights are 0 in float32: {reason}.", paramName);
        }
    }
}
