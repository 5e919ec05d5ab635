using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>
/// Settings of the supervised warm-up that trains a small base model from scratch with next-token
/// loss. Defaults suit a 4-layer, 128-wide model on a few thousand short examples on a CPU.
/// </summary>
public sealed class WarmupOptions
{
    /// <summary>Gets or sets the optimizer steps. Default 600.</summary>
    public int Steps { get; set; } = 600;

    /// <summary>Gets or sets the examples per step. Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Gets or sets the peak AdamW learning rate, reached after a linear warm-up and decayed by cosine. Default 2e-3.</summary>
    public double LearningRate { get; set; } = 2e-3;

    /// <summary>Gets or sets the AdamW weight decay. Default 0.01.</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Gets or sets the global gradient-norm clip. Default 1.0 (nanoGPT's choice).</summary>
    public double MaxGradientNorm { get; set; } = 1.0;

    /// <summary>Gets or sets whether only response tokens count in the loss (true) or prompt tokens too. Default false, since a model trained from scratch needs all the text it can get.</summary>
    public bool ResponseOnlyLoss { get; set; }

    /// <summary>Gets or sets the seed of the example order. Default 0.</summary>
    public long Seed { get; set; }

    /// <summary>Checks every value and reports all invalid ones together.</summary>
    /// <exception cref="System.ArgumentException">One or more values are out of range.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (Steps < 1)
        {
            errors.Add($"Steps is {Steps}; it must be at least 1.");
        }

        if (BatchSize < 1)
        {
            errors.Add($"BatchSize is {BatchSize}; it must be at least 1.");
        }

        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
        {
            errors.Add($"LearningRate is {LearningRate}; it must be a positive finite number.");
        }

        if (WeightDecay < 0)
        {
            errors.Add($"WeightDecay is {WeightDecay}; it must be ≥ 0.");
        }

        if (!(MaxGradientNorm > 0))
        {
            errors.Add($"MaxGradientNorm is {MaxGradientNorm}; it must be positive.");
        }

        OptionsValidation.ThrowIfAny(nameof(WarmupOptions), errors);
    }
}
