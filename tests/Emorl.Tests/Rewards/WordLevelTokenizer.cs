using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Emorl.Tokenization;

namespace Emorl.Tests.Rewards;

/// <summary>
/// A lower-case word and punctuation tokenizer whose vocabulary is built from given texts; words
/// outside it map to one unknown id. Scorer tests use it in place of GPT-2 BPE.
/// </summary>
internal sealed partial class WordLevelTokenizer : ITextTokenizer
{
    public const int EndOfText = 0;

    public const int Unknown = 1;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _words = new() { string.Empty, "<unk>" };

    public WordLevelTokenizer(IEnumerable<string> texts)
    {
        foreach (string word in texts.SelectMany(Split))
        {
            if (!_ids.ContainsKey(word))
            {
                _ids.Add(word, _words.Count);
                _words.Add(word);
            }
        }
    }

    public int VocabularySize => _words.Count;

    public int EndOfTextId => EndOfText;

    public IReadOnlyList<int> Encode(string text) =>
        Split(text).Select(word => _ids.TryGetValue(word, out int id) ? id : Unknown).ToArray();

    public string Decode(IEnumerable<int> ids) =>
        string.Join(' ', ids.Where(id => id != EndOfText).Select(id => _words[id]));

    private static IEnumerable<string> Split(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(match => match.Value);

    [GeneratedRegex(@"[\p{L}\p{N}']+|[^\s\p{L}\p{N}]")]
    private static partial Regex WordPattern();
}
