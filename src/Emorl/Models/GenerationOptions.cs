using System.Collections.Generic;

namespace Emorl.Models;

/// <summary>
/// How to pick each new token when generating.
/// </summary>
/// <remarks>
/// Defaults follow EMORL's training-time sampling (Hugging Face's defaults): temperature 1.0,
/// top-k 50, top-p 1.0, at most 64 new tokens.
/// </remarks>
public sealed class GenerationOptions
{
    /// <summary>Gets or sets the maximum number of new tokens per row. Default 64.</summary>
    public int MaxNewTokens { get; set; } = 64;

    /// <summary>Gets or sets whether to take the most likely token (true) or to sample (false). Default false.</summary>
    public bool Greedy { get; set; }

    /// <summary>Gets or sets the sampling temperature, positive. Default 1.0.</summary>
    public double Temperature { get; set; } = 1.0;

    /// <summary>Gets or sets how many of the most likely tokens may be sampled; 0 keeps all. Default 50.</summary>
    public int TopK { get; set; } = 50;

    /// <summary>Gets or sets the nucleus mass kept when sampling, in (0, 1]. Default 1.0 (off).</summary>
    public double TopP { get; set; } = 1.0;

    /// <summary>Gets or sets whether to decode with KV caches (true) or re-read the whole prefix every step. Default true.</summary>
    public bool UseCache { get; set; } = true;

    /// <summary>
    /// Gets or sets how many token ids may be picked: ids at or above it are never generated. Null
    /// (default) allows every id the model scores. Set it to the tokenizer's VocabularySize when the
    /// model scores more ids than the tokenizer can decode. For example, Hugging Face T5 checkpoints
    /// score 32,128 ids, but their spiece.model contains 32,000 pieces. PolicyTrainer and
    /// ObjectiveEnsemble set it from their PromptTemplate.
    /// </summary>
    public int? VocabularyLimit { get; set; }

    /// <summary>Creates the greedy settings used for evaluation and the grid search.</summary>
    /// <param name="maxNewTokens">Maximum number of new tokens.</param>
    /// <returns>New options.</returns>
    public static GenerationOptions CreateGreedy(int maxNewTokens = 64) => new() { Greedy = true, MaxNewTokens = maxNewTokens };

    /// <summary>
    /// Returns a copy that never picks an id the tokenizer cannot decode, or these options unchanged
    /// when the model scores no more ids than the tokenizer has.
    /// </summary>
    internal GenerationOptions LimitedTo(int tokenizerVocabulary, int modelVocabulary)
    {
        if (tokenizerVocabulary >= modelVocabulary || VocabularyLimit <= tokenizerVocabulary)
        {
            return this;
        }

        var limited = (GenerationOptions)MemberwiseClone();
        limited.VocabularyLimit = tokenizerVocabulary;
        return limited;
    }

    /// <summary>Checks every value and reports all invalid ones together.</summary>
    /// <exception cref="System.ArgumentException">One or more values are out of range.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        AddFailures(errors, "");
        OptionsValidation.ThrowIfAny(nameof(GenerationOptions), errors);
    }

    /// <summary>Adds a message for every invalid value, so that an enclosing options type can report them with its own.</summary>
    /// <param name="errors">The list to add to.</param>
    /// <param name="prefix">Put before each property name, such as <c>"Sampling."</c>; empty for none.</param>
    internal void AddFailures(List<string> errors, string prefix)
    {
        int start = errors.Count;
        if (MaxNewTokens < 1)
        {
            errors.Add($"MaxNewTokens is {MaxNewTokens}; it must be at least 1.");
        }

        if (!(Temperature > 0) || double.IsInfinity(Temperature))
        {
            errors.Add($"Temperature is {Temperature}; it must be a positive finite number.");
        }

        if (TopK < 0)
        {
            errors.Add($"TopK is {TopK}; use 0 to keep every token or a positive count.");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            errors.Add($"TopP is {TopP}; it must lie in (0, 1].");
        }

        if (VocabularyLimit < 1)
        {
            errors.Add($"VocabularyLimit is {VocabularyLimit}; it must be at least 1, or null to allow every id.");
        }

        if (prefix.Length > 0)
        {
            for (int i = start; i < errors.Count; i++)
            {
                errors[i] = prefix + errors[i];
            }
        }
    }
}
