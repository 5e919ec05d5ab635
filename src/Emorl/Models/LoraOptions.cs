using System.Collections.Generic;

namespace Emorl.Models;

/// <summary>
/// Settings of a LoRA adapter: W x + (alpha / rank) · B A x on each adapted projection.
/// </summary>
/// <remarks>Defaults are EMORL's: rank 8, alpha 32, dropout 0.05 (Hu et al. 2021 for the method).</remarks>
public sealed class LoraOptions
{
    /// <summary>Gets or sets the rank r of the update B A. Default 8.</summary>
    public int Rank { get; set; } = 8;

    /// <summary>Gets or sets alpha; the update is scaled by alpha / rank. Default 32.</summary>
    public double Alpha { get; set; } = 32;

    /// <summary>Gets or sets the dropout applied to the adapter's input while training, in [0, 1). Default 0.05.</summary>
    public double Dropout { get; set; } = 0.05;

    /// <summary>Gets the scale alpha / rank applied to B A.</summary>
    public double Scale => Alpha / Rank;

    /// <summary>Checks every value and reports all invalid ones together.</summary>
    /// <exception cref="System.ArgumentException">One or more values are out of range.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (Rank < 1)
        {
            errors.Add($"Rank is {Rank}; it must be at least 1 (EMORL uses 8).");
        }

        if (!(Alpha > 0) || double.IsInfinity(Alpha))
        {
            errors.Add($"Alpha is {Alpha}; it must be a positive finite number (EMORL uses 32).");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            errors.Add($"Dropout is {Dropout}; it must lie in [0, 1).");
        }

        OptionsValidation.ThrowIfAny(nameof(LoraOptions), errors);
    }
}
