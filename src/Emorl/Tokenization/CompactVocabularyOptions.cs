using System.Collections.Generic;

namespace Emorl.Tokenization;

/// <summary>
/// Options for building a <see cref="CompactVocabularyTokenizer"/> from a corpus.
/// </summary>
public sealed class CompactVocabularyOptions
{
    /// <summary>
    /// Gets or sets how often a GPT-2 token must occur in the corpus to be kept.
    /// </summary>
    /// <value>
    /// At least 1. The default 1 keeps every token the corpus uses. Rarer tokens are encoded as
    /// single-byte tokens instead.
    /// </value>
    public int MinFrequency { get; set; } = 1;

    /// <summary>
    /// Gets or sets the largest vocabulary to build, counting end-of-text and the 256 single-byte tokens.
    /// </summary>
    /// <value>
    /// Null for no limit (the default), otherwise at least
    /// <see cref="CompactVocabularyTokenizer.BaseTokenCount"/> (257). When the corpus has more tokens
    /// than fit, the most frequent are kept.
    /// </value>
    public int? MaxVocabularySize { get; set; }

    /// <summary>Checks every option and lists all problems at once.</summary>
    /// <returns>
    /// One message per invalid option, naming the value and the fix, or none when all are valid.
    /// </returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MinFrequency < 1)
        {
            problems.Add(
                $"MinFrequency is {MinFrequency} but must be at least 1. Use 1 to keep every corpus token.");
        }

        if (MaxVocabularySize is int max && max < CompactVocabularyTokenizer.BaseTokenCount)
        {
            problems.Add(
                $"MaxVocabularySize is {max} but must be at least {CompactVocabularyTokenizer.BaseTokenCount} " +
                "(the end-of-text token plus the 256 single-byte tokens). Raise it, or set it to null " +
                "for no limit.");
        }

        return problems;
    }
}
