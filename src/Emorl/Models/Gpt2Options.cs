using System;
using System.Collections.Generic;

namespace Emorl.Models;

/// <summary>
/// Shape of a GPT-2-architecture causal language model.
/// </summary>
/// <remarks>
/// The defaults describe a small model that trains on two CPU cores in minutes; GPT-2 small is
/// 12 layers, hidden size 768, 12 heads, context 1,024 and vocabulary 50,257.
/// </remarks>
public sealed class Gpt2Options
{
    /// <summary>Gets or sets the number of token ids. Default 50,257 (GPT-2's BPE vocabulary).</summary>
    public int VocabularySize { get; set; } = 50_257;

    /// <summary>Gets or sets the number of learned positions, the longest sequence the model reads. Default 256.</summary>
    public int ContextLength { get; set; } = 256;

    /// <summary>Gets or sets the number of transformer blocks. Default 4.</summary>
    public int LayerCount { get; set; } = 4;

    /// <summary>Gets or sets the hidden size; must be a multiple of <see cref="HeadCount"/>. Default 128.</summary>
    public int HiddenSize { get; set; } = 128;

    /// <summary>Gets or sets the number of attention heads. Default 4.</summary>
    public int HeadCount { get; set; } = 4;

    /// <summary>Gets or sets the dropout probability on embeddings, attention and residuals, in [0, 1). Default 0.1 (GPT-2).</summary>
    public double Dropout { get; set; } = 0.1;

    /// <summary>Gets or sets the layer-norm epsilon. Default 1e-5 (GPT-2).</summary>
    public double LayerNormEpsilon { get; set; } = 1e-5;

    /// <summary>Checks every value and reports all invalid ones together.</summary>
    /// <exception cref="ArgumentException">One or more values are out of range; the message lists each.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (VocabularySize < 2)
        {
            errors.Add($"VocabularySize is {VocabularySize}; it must be at least 2.");
        }

        if (ContextLength < 2)
        {
            errors.Add($"ContextLength is {ContextLength}; it must be at least 2.");
        }

        if (LayerCount < 1)
        {
            errors.Add($"LayerCount is {LayerCount}; it must be at least 1.");
        }

        if (HeadCount < 1 || HiddenSize < 1 || HiddenSize % Math.Max(HeadCount, 1) != 0)
        {
            errors.Add($"HiddenSize {HiddenSize} and HeadCount {HeadCount} must be positive, with HiddenSize a multiple of HeadCount.");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            errors.Add($"Dropout is {Dropout}; it must lie in [0, 1).");
        }

        if (!(LayerNormEpsilon > 0))
        {
            errors.Add($"LayerNormEpsilon is {LayerNormEpsilon}; it must be positive.");
        }

        OptionsValidation.ThrowIfAny(nameof(Gpt2Options), errors);
    }
}
