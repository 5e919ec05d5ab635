using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Emorl.Tokenization;

/// <summary>
/// Tokenizer for a SentencePiece Unigram model (<c>spiece.model</c>), such as T5's: pad 0,
/// <c>&lt;/s&gt;</c> 1, <c>&lt;unk&gt;</c> 2 and no beginning-of-sentence token.
/// </summary>
/// <remarks>
/// <para>
/// Encoding follows SentencePiece's Unigram model (Kudo 2018, "Subword Regularization"): the text is
/// normalised (whitespace runs collapsed and trimmed, a space prepended, spaces written as ▁), then
/// Viterbi search picks the segmentation with the highest total piece score. A character that no
/// piece covers scores the lowest piece score minus 10, and a run of such characters becomes one
/// <c>&lt;unk&gt;</c>, as SentencePiece emits it. Microsoft.ML.Tokenizers 3.0.0's
/// <c>SentencePieceTokenizer</c> is not used because it fails on models without a
/// beginning-of-sentence token and emits one <c>&lt;unk&gt;</c> per unknown character.
/// </para>
/// <para>
/// Normalisation applies the model's <c>precompiled_charsmap</c> (T5's <c>nmt_nfkc</c>: NFKC, with
/// tabs, newlines and other whitespace mapped to a space) before the whitespace rules. NOTE: a
/// <c>normalization_rule_tsv</c> without a compiled charsmap is ignored, as are
/// <c>treat_whitespace_as_suffix</c> and user-defined symbols' prefix matching during normalisation.
/// </para>
/// <para>Instances are immutable after loading, so Encode and Decode may run concurrently.</para>
/// </remarks>
public sealed class SentencePieceUnigramTokenizer : ITextTokenizer
{
    private const char WordBoundary = '\u2581';
    private const float UnknownPenalty = 10f;

    // SentencePiece's default surface for <unk> when decoding: " ⁇ ".
    private const string UnknownSurface = " \u2047 ";

    private readonly (string Piece, float Score, SentencePieceType Type)[] _pieces;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _matchable;
    private readonly int _maxPieceLength;
    private readonly float _unknownScore;
    private readonly float _maxScore;
    private readonly SentencePieceModel _model;
    private readonly PrecompiledCharsMap? _charsMap;

    private SentencePieceUnigramTokenizer(SentencePieceModel model, string source)
    {
        Validate(model, source);
        _model = model;
        _charsMap = model.PrecompiledCharsmap.Length > 0 ? new PrecompiledCharsMap(model.PrecompiledCharsmap, source) : null;
        _pieces = model.Pieces.ToArray();
        var matchable = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < _pieces.Length; id++)
        {
            if (_pieces[id].Type is SentencePieceType.Normal or SentencePieceType.UserDefined && _pieces[id].Piece.Length > 0)
            {
                matchable.TryAdd(_pieces[id].Piece, id);
            }
        }

        _matchable = matchable.GetAlternateLookup<ReadOnlySpan<char>>();
        _maxPieceLength = matchable.Keys.Select(p => p.Length).DefaultIfEmpty(1).Max();
        var normalScores = _pieces.Where(p => p.Type == SentencePieceType.Normal).Select(p => p.Score).DefaultIfEmpty(0f).ToArray();
        _unknownScore = normalScores.Min() - UnknownPenalty;
        _maxScore = normalScores.Max();
    }

    /// <summary>Gets the number of pieces; every id lies in [0, VocabularySize).</summary>
    /// <remarks>T5 checkpoints have a larger <c>vocab_size</c> (32,128 against 32,000 pieces) for sentinel tokens.</remarks>
    public int VocabularySize => _pieces.Length;

    /// <summary>Gets the id of <c>&lt;/s&gt;</c> (T5: 1).</summary>
    public int EndOfTextId => _model.EndOfSentenceId;

    /// <summary>Gets the id of <c>&lt;unk&gt;</c> (T5: 2).</summary>
    public int UnknownId => _model.UnknownId;

    /// <summary>Gets the id of <c>&lt;pad&gt;</c> (T5: 0), or null when the model has none.</summary>
    public int? PaddingId => _model.PaddingId >= 0 ? _model.PaddingId : null;

    /// <summary>Loads a SentencePiece model file.</summary>
    /// <param name="path">The <c>.model</c> file, such as T5's <c>spiece.model</c>.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid SentencePiece model.</exception>
    /// <exception cref="NotSupportedException">The model is not a Unigram model or uses byte fallback.</exception>
    public static SentencePieceUnigramTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] data = File.ReadAllBytes(path);
        string source = $"'{path}'";
        return new SentencePieceUnigramTokenizer(SentencePieceModel.Parse(data, source), source);
    }

    /// <summary>Loads a SentencePiece model from a stream, read to its end and left open.</summary>
    /// <param name="stream">The serialized ModelProto.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid SentencePiece model.</exception>
    /// <exception cref="NotSupportedException">The model is not a Unigram model or uses byte fallback.</exception>
    public static SentencePieceUnigramTokenizer Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        const string Source = "The stream";
        return new SentencePieceUnigramTokenizer(SentencePieceModel.Parse(buffer.ToArray(), Source), Source);
    }

    /// <summary>Returns the piece of an id, such as <c>▁the</c>.</summary>
    /// <param name="id">A piece id in [0, <see cref="VocabularySize"/>).</param>
    /// <returns>The piece text.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string GetPiece(int id)
    {
        ThrowIfOutOfRange(id, nameof(id));
        return _pieces[id].Piece;
    }

    /// <summary>Encodes text into piece ids, without <c>&lt;/s&gt;</c>.</summary>
    /// <param name="text">The text; may be empty.</param>
    /// <returns>The ids; a run of characters no piece covers becomes one <see cref="UnknownId"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Segment(Normalize(text));
    }

    /// <summary>Encodes text and appends <c>&lt;/s&gt;</c>, as T5's tokenizer does for inputs and targets.</summary>
    /// <param name="text">The text; may be empty.</param>
    /// <returns>The ids of <see cref="Encode"/> followed by <see cref="EndOfTextId"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> EncodeWithEndOfSequence(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Segment(Normalize(text));
        ids.Add(EndOfTextId);
        return ids;
    }

    /// <summary>Decodes ids into text: control tokens vanish, <c>&lt;unk&gt;</c> becomes " ⁇ ", ▁ becomes a space.</summary>
    /// <param name="ids">Piece ids, each in [0, <see cref="VocabularySize"/>).</param>
    /// <returns>The text, without the space the encoder prepends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            ThrowIfOutOfRange(id, nameof(ids));
            var (piece, _, type) = _pieces[id];
            text.Append(type switch
            {
                SentencePieceType.Control or SentencePieceType.Unused => string.Empty,
                SentencePieceType.Unknown => UnknownSurface,
                _ => piece,
            });
        }

        if (_model.EscapeWhitespaces)
        {
            text.Replace(WordBoundary, ' ');
        }

        if (_model.AddDummyPrefix && text.Length > 0 && text[0] == ' ')
        {
            text.Remove(0, 1);
        }

        return text.ToString();
    }

    /// <summary>
    /// Applies the charsmap, then SentencePiece's whitespace rules: trim and collapse runs of spaces,
    /// prepend a space, write spaces as ▁.
    /// </summary>
    private string Normalize(string text)
    {
        string mapped = _charsMap?.Normalize(text) ?? text;
        char space = _model.EscapeWhitespaces ? WordBoundary : ' ';
        var result = new StringBuilder(mapped.Length + 1);
        bool pendingSpace = _model.AddDummyPrefix;
        foreach (char c in mapped)
        {
            if (c == ' ' && _model.RemoveExtraWhitespaces)
            {
                pendingSpace |= result.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                result.Append(space);
                pendingSpace = false;
            }

            result.Append(c == ' ' ? space : c);
        }

        return result.ToString();
    }

    /// <summary>Finds the highest-scoring segmentation by Viterbi search over character positions.</summary>
    private List<int> Segment(string text)
    {
        int length = text.Length;
        var best = new float[length + 1];
        var start = new int[length + 1];
        var pieceId = new int[length + 1];
        Array.Fill(best, float.NegativeInfinity);
        best[0] = 0;
        for (int i = 0; i < length; i++)
        {
            if (float.IsNegativeInfinity(best[i]))
            {
                continue;
            }

            int codePointLength = char.IsHighSurrogate(text[i]) && i + 1 < length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            bool coversCodePoint = false;
            for (int span = 1; span <= Math.Min(_maxPieceLength, length - i); span++)
            {
                if (!_matchable.TryGetValue(text.AsSpan(i, span), out int id))
                {
                    continue;
                }

                coversCodePoint |= span == codePointLength;
                var (_, score, type) = _pieces[id];

                // SentencePiece scores a user-defined piece above any segmentation of its characters.
                float pieceScore = type == SentencePieceType.UserDefined ? span * _maxScore - 0.1f : score;
                Relax(best, start, pieceId, i, i + span, id, pieceScore);
            }

            if (!coversCodePoint)
            {
                Relax(best, start, pieceId, i, i + codePointLength, _model.UnknownId, _unknownScore);
            }
        }

        return Backtrack(start, pieceId, length);
    }

    private static void Relax(float[] best, int[] start, int[] pieceId, int from, int to, int id, float score)
    {
        float candidate = best[from] + score;
        if (candidate > best[to])
        {
            best[to] = candidate;
            start[to] = from;
            pieceId[to] = id;
        }
    }

    private List<int> Backtrack(int[] start, int[] pieceId, int length)
    {
        var reversed = new List<int>();
        for (int end = length; end > 0; end = start[end])
        {
            reversed.Add(pieceId[end]);
        }

        reversed.Reverse();
        var merged = new List<int>(reversed.Count + 1);
        foreach (int id in reversed)
        {
            // SentencePiece merges adjacent unknown characters into one <unk>.
            if (id == _model.UnknownId && merged.Count > 0 && merged[^1] == _model.UnknownId)
            {
                continue;
            }

            merged.Add(id);
        }

        return merged;
    }

    private static void Validate(SentencePieceModel model, string source)
    {
        if (model.ModelType != SentencePieceModel.UnigramModelType)
        {
            throw new NotSupportedException(
                $"{source} is a SentencePiece model of type {model.ModelType}; this tokenizer reads Unigram models " +
                "(type 1), such as T5's spiece.model. Use Microsoft.ML.Tokenizers' SentencePieceTokenizer for BPE models.");
        }

        if (model.ByteFallback)
        {
            throw new NotSupportedException(
                $"{source} uses byte fallback, which this tokenizer does not implement; it reads models without it, such as T5's.");
        }

        var problems = new List<string>();
        CheckSpecialId(problems, model, "unk_id", model.UnknownId, SentencePieceType.Unknown, required: true);
        CheckSpecialId(problems, model, "eos_id", model.EndOfSentenceId, SentencePieceType.Control, required: true);
        CheckSpecialId(problems, model, "pad_id", model.PaddingId, SentencePieceType.Control, required: false);
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{source} is not a usable SentencePiece model: {string.Join("; ", problems)}.");
        }
    }

    private static void CheckSpecialId(
        List<string> problems, SentencePieceModel model, string name, int id, SentencePieceType expected, bool required)
    {
        if (id < 0 && !required)
        {
            return;
        }

        if (id < 0 || id >= model.Pieces.Count)
        {
            problems.Add($"{name} is {id}, outside the {model.Pieces.Count} pieces");
        }
        else if (model.Pieces[id].Type != expected)
        {
            problems.Add($"{name} is {id}, whose piece '{model.Pieces[id].Piece}' has type {model.Pieces[id].Type}, not {expected}");
        }
    }

    private void ThrowIfOutOfRange(int id, string parameterName)
    {
        if ((uint)id >= (uint)_pieces.Length)
        {
            throw new ArgumentOutOfRangeException(
                parameterName, id, $"Piece id {id} is outside [0, {_pieces.Length}); pass ids produced by this tokenizer's model.");
        }
    }
}
