using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Emorl.Rewards;

/// <summary>
/// Maps a tokenizer's ids onto the compact set of ids seen in training, so the embedding table
/// contains only rows that training can update.
/// </summary>
/// <remarks>
/// Compact id 0 is padding, 1 is the unknown token for ids never seen in training, and seen ids
/// follow in ascending order of the tokenizer id.
/// </remarks>
internal sealed class TokenVocabulary
{
    public const int PaddingId = 0;

    public const int UnknownId = 1;

    private readonly Dictionary<int, int> _compactIds;

    public TokenVocabulary(int tokenizerVocabularySize, IReadOnlyList<int> seenIds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenizerVocabularySize);
        ArgumentNullException.ThrowIfNull(seenIds);

        TokenizerVocabularySize = tokenizerVocabularySize;
        SeenIds = seenIds.Distinct().Order().ToArray();
        _compactIds = new Dictionary<int, int>(SeenIds.Count);
        for (int i = 0; i < SeenIds.Count; i++)
        {
            int id = SeenIds[i];
            if (id < 0 || id >= tokenizerVocabularySize)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(seenIds),
                    id,
                    string.Format(
                        CultureInfo.InvariantCulture,
                        "Token id {0} lies outside the tokenizer's vocabulary [0, {1}).",
                        id,
                        tokenizerVocabularySize));
            }

            _compactIds.Add(id, i + 2);
        }
    }

    /// <summary>Gets the tokenizer's vocabulary size that the seen ids were taken from.</summary>
    public int TokenizerVocabularySize { get; }

    /// <summary>Gets the distinct tokenizer ids seen in training, ascending.</summary>
    public IReadOnlyList<int> SeenIds { get; }

    /// <summary>Gets the number of embedding rows: the seen ids plus padding and unknown.</summary>
    public int Count => SeenIds.Count + 2;

    public int ToCompactId(int tokenizerId) =>
        _compactIds.TryGetValue(tokenizerId, out int compact) ? compact : UnknownId;
}
