using System;
using System.Buffers;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Emorl.Checkpoints;
using Microsoft.Extensions.Logging;

namespace Emorl.Tokenization;

/// <summary>
/// Tokenizer that numbers only the GPT-2 tokens a corpus uses, so a small model's embedding and output
/// layers stay small.
/// </summary>
/// <remarks>
/// <para>
/// The vocabulary is an ordered list of kept GPT-2 ids (<see cref="Gpt2Ids"/>) and the index in that
/// list is the compact id. Compact id 0 is always end-of-text. <see cref="FromCorpus"/> then puts the
/// 256 single-byte tokens at ids 1 to 256 in byte order (compact id = byte value + 1), followed by the
/// corpus tokens from most to least frequent, ties broken by the lower GPT-2 id. A list passed to the
/// constructor or loaded from a file may order ids after 0 differently.
/// </para>
/// <para>
/// <see cref="Encode"/> runs GPT-2 BPE and maps each GPT-2 token to its compact id. A token outside the
/// kept set falls back to its bytes, one single-byte token per byte, so every string encodes, and for
/// valid UTF-16 text <c>Decode(Encode(s))</c> returns exactly <c>s</c>. The cost is length: a token
/// that was not kept takes one id per UTF-8 byte. Text whose tokens were all kept encodes as the GPT-2
/// ids mapped one to one.
/// </para>
/// <para>
/// Instances are immutable after construction, so Encode and Decode are safe to call concurrently.
/// </para>
/// </remarks>
public sealed class CompactVocabularyTokenizer : ITextTokenizer
{
    /// <summary>The smallest vocabulary: end-of-text plus the 256 single-byte tokens.</summary>
    public const int BaseTokenCount = 257;

    private readonly Gpt2Tokenizer _gpt2;
    private readonly int[] _gpt2Ids;
    private readonly int[] _compactIds; // index is the GPT-2 id, and -1 marks a token not kept
    private readonly int[] _byteTokenCompactIds; // index is the byte value

    /// <summary>Creates a tokenizer from an explicit list of kept GPT-2 ids.</summary>
    /// <param name="gpt2">The GPT-2 tokenizer that supplies BPE and token bytes.</param>
    /// <param name="gpt2Ids">
    /// The kept GPT-2 ids, where the index is the compact id. Element 0 must be end-of-text (50256). The
    /// list must contain all 256 single-byte tokens and no id twice, and each id lies in [0, 50257).
    /// </param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="gpt2Ids"/> breaks a rule above.</exception>
    public CompactVocabularyTokenizer(Gpt2Tokenizer gpt2, IReadOnlyList<int> gpt2Ids)
    {
        ArgumentNullException.ThrowIfNull(gpt2);
        ArgumentNullException.ThrowIfNull(gpt2Ids);
        IReadOnlyList<string> problems = CompactVocabularyValidation.FindProblems(gpt2Ids, gpt2);
        if (problems.Count > 0)
        {
            throw new ArgumentException(
                "The list of kept GPT-2 ids is invalid: " + string.Join(" ", problems) +
                " Build the list with CompactVocabularyTokenizer.FromCorpus or load a saved one.",
                nameof(gpt2Ids));
        }

        _gpt2 = gpt2;
        _gpt2Ids = gpt2Ids.ToArray();
        _compactIds = new int[Gpt2Vocabulary.TokenCount];
        Array.Fill(_compactIds, -1);
        for (int id = 0; id < _gpt2Ids.Length; id++)
        {
            _compactIds[_gpt2Ids[id]] = id;
        }

        _byteTokenCompactIds = new int[256];
        for (int value = 0; value < 256; value++)
        {
            _byteTokenCompactIds[value] = _compactIds[gpt2.GetByteTokenId((byte)value)];
        }

        Gpt2Ids = new ReadOnlyCollection<int>(_gpt2Ids);
    }

    /// <summary>Gets the number of compact ids: 257 plus the number of kept corpus tokens.</summary>
    public int VocabularySize => _gpt2Ids.Length;

    /// <summary>Gets the compact id of end-of-text, which is always 0.</summary>
    public int EndOfTextId => 0;

    /// <summary>Gets the GPT-2 id of each compact id, indexed by compact id.</summary>
    public IReadOnlyList<int> Gpt2Ids { get; }

    /// <summary>Builds a tokenizer that keeps the GPT-2 tokens a corpus uses.</summary>
    /// <param name="gpt2">The GPT-2 tokenizer that supplies BPE and token bytes.</param>
    /// <param name="corpus">The texts to count tokens in, enumerated once.</param>
    /// <param name="options">Frequency and size limits, or null for the defaults (keep every token).</param>
    /// <param name="cancellationToken">Cancels counting between texts.</param>
    /// <returns>A tokenizer with the compact id layout described in the remarks of this type.</returns>
    /// <exception cref="ArgumentNullException">A required argument or a corpus text is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="options"/> is invalid. The message lists every problem.
    /// </exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was canceled.
    /// </exception>
    public static CompactVocabularyTokenizer FromCorpus(
        Gpt2Tokenizer gpt2,
        IEnumerable<string> corpus,
        CompactVocabularyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gpt2);
        ArgumentNullException.ThrowIfNull(corpus);
        options ??= new CompactVocabularyOptions();
        IReadOnlyList<string> problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        long[] counts = CountTokens(gpt2, corpus, cancellationToken);
        var gpt2Ids = new List<int>(BaseTokenCount) { gpt2.EndOfTextId };
        for (int value = 0; value < 256; value++)
        {
            gpt2Ids.Add(gpt2.GetByteTokenId((byte)value));
        }

        int maxCorpusTokens = (options.MaxVocabularySize ?? int.MaxValue) - BaseTokenCount;
        gpt2Ids.AddRange(SelectCorpusTokens(counts, gpt2Ids, options.MinFrequency, maxCorpusTokens));
        return new CompactVocabularyTokenizer(gpt2, gpt2Ids);
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save(string)"/>.</summary>
    /// <param name="path">The JSON file to read.</param>
    /// <param name="gpt2">The GPT-2 tokenizer that supplies BPE and token bytes.</param>
    /// <returns>A tokenizer with the saved compact ids.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not valid JSON, has an unknown format version or base tokenizer, or an invalid id
    /// list (out of range, repeated, or missing end-of-text or a single-byte token).
    /// </exception>
    public static CompactVocabularyTokenizer Load(string path, Gpt2Tokenizer gpt2) => Load(path, gpt2, null);

    /// <summary>Loads a tokenizer saved by <see cref="Save(string)"/>, checking it against its manifest.</summary>
    /// <param name="path">The JSON file to read.</param>
    /// <param name="gpt2">The GPT-2 tokenizer that supplies BPE and token bytes.</param>
    /// <param name="logger">Receives a Debug message when the file has no manifest; null for none.</param>
    /// <returns>A tokenizer with the saved compact ids.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="gpt2"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid compact vocabulary.</exception>
    public static CompactVocabularyTokenizer Load(string path, Gpt2Tokenizer gpt2, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(gpt2);

        if (File.Exists(path))
        {
            CheckpointManifest.VerifyFile(path, logger);
        }

        using FileStream stream = File.OpenRead(path);
        return Load(stream, gpt2, $"Compact vocabulary file '{path}'");
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save(Stream)"/>, leaving the stream open.</summary>
    /// <param name="stream">A readable stream positioned at the start of the JSON document.</param>
    /// <param name="gpt2">The GPT-2 tokenizer that supplies BPE and token bytes.</param>
    /// <returns>A tokenizer with the saved compact ids.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidDataException">
    /// The document is invalid, as for <see cref="Load(string, Gpt2Tokenizer)"/>.
    /// </exception>
    public static CompactVocabularyTokenizer Load(Stream stream, Gpt2Tokenizer gpt2)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(gpt2);

        return Load(stream, gpt2, "Compact vocabulary stream");
    }

    /// <summary>Saves the vocabulary as a small JSON file, replacing any file at that path.</summary>
    /// <remarks>
    /// The file contains <c>formatVersion</c> (1), <c>baseTokenizer</c> (<c>"gpt2"</c>) and <c>gpt2Ids</c>,
    /// the list behind <see cref="Gpt2Ids"/>. The file is written to a temporary sibling and
    /// renamed, and a <c>PATH.emorl-manifest.json</c> sibling records its size and SHA-256 hash
    /// (see <see cref="CheckpointManifest"/>), so a crash leaves any earlier file intact.
    /// </remarks>
    /// <param name="path">The file to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        CheckpointFile.Write(path, Save);
    }

    /// <summary>Writes the vocabulary as JSON to a stream, leaving the stream open.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);

        CompactVocabularyFile.Write(stream, _gpt2Ids);
    }

    /// <summary>Returns the GPT-2 id of a compact id.</summary>
    /// <param name="id">A compact id in [0, <see cref="VocabularySize"/>).</param>
    /// <returns>The GPT-2 id, in [0, 50257).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is out of range.</exception>
    public int ToGpt2Id(int id)
    {
        ThrowIfOutOfRange(id, nameof(id));

        return _gpt2Ids[id];
    }

    /// <summary>Looks up the compact id of a GPT-2 token.</summary>
    /// <param name="gpt2Id">A GPT-2 id; any value is accepted.</param>
    /// <param name="id">The compact id when the token is kept, otherwise -1.</param>
    /// <returns>True when the token is kept.</returns>
    public bool TryGetId(int gpt2Id, out int id)
    {
        id = (uint)gpt2Id < Gpt2Vocabulary.TokenCount ? _compactIds[gpt2Id] : -1;
        return id >= 0;
    }

    /// <summary>Encodes text into compact ids, using single-byte tokens for tokens not kept.</summary>
    /// <param name="text">The text; may be empty.</param>
    /// <returns>The compact ids, each in [1, <see cref="VocabularySize"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        IReadOnlyList<int> gpt2Ids = _gpt2.Encode(text);
        var ids = new List<int>(gpt2Ids.Count);
        foreach (int gpt2Id in gpt2Ids)
        {
            int id = _compactIds[gpt2Id];
            if (id >= 0)
            {
                ids.Add(id);
                continue;
            }

            foreach (byte value in _gpt2.GetTokenBytes(gpt2Id))
            {
                ids.Add(_byteTokenCompactIds[value]);
            }
        }

        return ids;
    }

    /// <summary>Decodes compact ids into text, dropping end-of-text.</summary>
    /// <param name="ids">Compact ids, each in [0, <see cref="VocabularySize"/>).</param>
    /// <returns>The UTF-8 decoding of the tokens' bytes joined in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is out of range.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);

        var bytes = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
        {
            ThrowIfOutOfRange(id, nameof(ids));
            bytes.Write(_gpt2.GetTokenBytes(_gpt2Ids[id]));
        }

        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    private static CompactVocabularyTokenizer Load(Stream stream, Gpt2Tokenizer gpt2, string source)
    {
        IReadOnlyList<int> gpt2Ids = CompactVocabularyFile.Read(stream, source);
        IReadOnlyList<string> problems = CompactVocabularyValidation.FindProblems(gpt2Ids, gpt2);
        if (problems.Count > 0)
        {
            throw new InvalidDataException(
                $"{source} has an invalid gpt2Ids list: {string.Join(" ", problems)} " +
                "Re-create it with CompactVocabularyTokenizer.Save.");
        }

        return new CompactVocabularyTokenizer(gpt2, gpt2Ids);
    }

    private static long[] CountTokens(
        Gpt2Tokenizer gpt2, IEnumerable<string> corpus, CancellationToken cancellationToken)
    {
        long[] counts = new long[Gpt2Vocabulary.TokenCount];
        int index = 0;
        foreach (string text in corpus)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (text is null)
            {
                throw new ArgumentNullException(
                    nameof(corpus),
                    $"Corpus text {index} is null. Remove null entries or replace them with empty strings.");
            }

            foreach (int id in gpt2.Encode(text))
            {
                counts[id]++;
            }

            index++;
        }

        return counts;
    }

    private static IEnumerable<int> SelectCorpusTokens(
        long[] counts, IReadOnlyCollection<int> alreadyKept, int minFrequency, int maxCount)
    {
        var kept = new HashSet<int>(alreadyKept);
        return Enumerable.Range(0, counts.Length)
            .Where(id => counts[id] >= minFrequency && !kept.Contains(id))
            .OrderByDescending(id => counts[id])
            .ThenBy(id => id)
            .Take(maxCount);
    }

    private void ThrowIfOutOfRange(int id, string parameterName)
    {
        if ((uint)id >= (uint)_gpt2Ids.Length)
        {
            throw new ArgumentOutOfRangeException(
                parameterName,
                id,
                $"Compact token id {id} is outside [0, {_gpt2Ids.Length}). Pass ids produced by this " +
                $"tokenizer or by a model whose vocabulary size is {_gpt2Ids.Length}.");
        }
    }
}
