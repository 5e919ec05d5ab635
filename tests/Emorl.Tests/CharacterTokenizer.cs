using System.Collections.Generic;
using System.Linq;
using Emorl.Tokenization;

namespace Emorl.Tests;

/// <summary>A character-level tokenizer over a fixed alphabet, sized to <see cref="TinyModels.Vocabulary"/>.</summary>
internal sealed class CharacterTokenizer : ITextTokenizer
{
    private const string Alphabet = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,:?!'\n";

    public int VocabularySize => TinyModels.Vocabulary;

    public int EndOfTextId => TinyModels.EndOfText;

    public IReadOnlyList<int> Encode(string text) =>
        text.Select(c => Alphabet.IndexOf(c, System.StringComparison.Ordinal)).Select(i => i < 0 ? 0 : i).ToArray();

    public string Decode(IEnumerable<int> ids) =>
        new(ids.Where(i => i != EndOfTextId).Select(i => Alphabet[i]).ToArray());
}
