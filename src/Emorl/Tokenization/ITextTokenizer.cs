using System.Collections.Generic;

namespace Emorl.Tokenization;

/// <summary>
/// Converts between text and the token ids of one vocabulary.
/// </summary>
/// <remarks>Implementations are expected to be thread-safe for concurrent reads.</remarks>
public interface ITextTokenizer
{
    /// <summary>Gets the number of token ids, so every id lies in [0, VocabularySize).</summary>
    int VocabularySize { get; }

    /// <summary>Gets the id that ends a sequence (GPT-2's <c>&lt;|endoftext|&gt;</c>).</summary>
    int EndOfTextId { get; }

    /// <summary>Encodes text into token ids, without adding any special token.</summary>
    /// <param name="text">The text; may be empty.</param>
    /// <returns>The token ids, each in [0, <see cref="VocabularySize"/>).</returns>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Decodes token ids into text; the end-of-text id decodes to nothing.</summary>
    /// <param name="ids">Token ids, each in [0, <see cref="VocabularySize"/>).</param>
    /// <returns>The decoded text.</returns>
    string Decode(IEnumerable<int> ids);
}
