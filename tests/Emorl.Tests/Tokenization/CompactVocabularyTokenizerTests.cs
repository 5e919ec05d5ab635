using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Emorl.Tokenization;

namespace Emorl.Tests.Tokenization;

public sealed class CompactVocabularyTokenizerTests
{
    private const int BaseCount = CompactVocabularyTokenizer.BaseTokenCount;

    private static readonly Gpt2Tokenizer s_gpt2 = new();

    private static readonly IReadOnlyList<string> s_corpus = TokenizationTestData.EnglishCorpus;

    // Built from the English corpus only, so emoji, CJK and most accented text are outside it.
    private static readonly CompactVocabularyTokenizer s_english =
        CompactVocabularyTokenizer.FromCorpus(s_gpt2, s_corpus);

    // Built from the English corpus plus every hard string, so the hard strings are corpus text.
    private static readonly CompactVocabularyTokenizer s_withHardStrings =
        CompactVocabularyTokenizer.FromCorpus(s_gpt2, s_corpus.Concat(TokenizationTestData.HardStrings));

    [Fact]
    public void VocabularyIsSmallForSentenceCorpus()
    {
        Assert.InRange(s_english.VocabularySize, BaseCount + 1, 1_999);
        Assert.InRange(s_withHardStrings.VocabularySize, s_english.VocabularySize + 1, 1_999);
    }

    [Fact]
    public void EveryCorpusTokenIsKept()
    {
        int[] corpusTokens = s_corpus.SelectMany(s_gpt2.Encode).Distinct().ToArray();

        Assert.All(corpusTokens, id => Assert.True(s_english.TryGetId(id, out _), $"GPT-2 id {id}"));
        Assert.Equal(
            BaseCount + corpusTokens.Count(id => id >= 256),
            s_english.VocabularySize);
    }

    [Fact]
    public void LayoutStartsWithEndOfTextAndBytes()
    {
        Assert.Equal(0, s_english.EndOfTextId);
        Assert.Equal(50256, s_english.ToGpt2Id(0));
        for (int value = 0; value < 256; value++)
        {
            Assert.Equal(s_gpt2.GetByteTokenId((byte)value), s_english.ToGpt2Id(value + 1));
        }
    }

    [Fact]
    public void MappingIsConsistentBothWays()
    {
        for (int id = 0; id < s_english.VocabularySize; id++)
        {
            int gpt2Id = s_english.ToGpt2Id(id);

            Assert.Equal(gpt2Id, s_english.Gpt2Ids[id]);
            Assert.True(s_english.TryGetId(gpt2Id, out int roundTripped));
            Assert.Equal(id, roundTripped);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(50257)]
    public void TryGetIdRejectsIdOutsideGpt2(int gpt2Id)
    {
        bool found = s_english.TryGetId(gpt2Id, out int id);

        Assert.False(found);
        Assert.Equal(-1, id);
    }

    [Fact]
    public void TryGetIdRejectsTokenNotKept()
    {
        int zimbabwe = Assert.Single(s_gpt2.Encode(" Zimbabwe"));

        bool found = s_english.TryGetId(zimbabwe, out int id);

        Assert.False(found);
        Assert.Equal(-1, id);
    }

    [Fact]
    public void CorpusTextNeverUsesByteFallback()
    {
        foreach (string text in s_corpus.Concat(TokenizationTestData.HardStrings))
        {
            int[] expected = s_gpt2.Encode(text).Select(id => MapKept(s_withHardStrings, id)).ToArray();

            Assert.Equal(expected, s_withHardStrings.Encode(text));
        }
    }

    [Theory]
    [MemberData(nameof(TokenizationTestData.HardStringRows), MemberType = typeof(TokenizationTestData))]
    public void DecodeInvertsEncodeForCorpusText(string text)
    {
        string decoded = s_withHardStrings.Decode(s_withHardStrings.Encode(text));

        Assert.Equal(text, decoded);
    }

    [Theory]
    [MemberData(nameof(TokenizationTestData.HardStringRows), MemberType = typeof(TokenizationTestData))]
    public void DecodeInvertsEncodeForTextOutsideCorpus(string text)
    {
        string decoded = s_english.Decode(s_english.Encode(text));

        Assert.Equal(text, decoded);
    }

    [Fact]
    public void HardStringsOutsideCorpusUseByteFallback()
    {
        int compactLength = TokenizationTestData.HardStrings.Sum(text => s_english.Encode(text).Count);
        int gpt2Length = TokenizationTestData.HardStrings.Sum(text => s_gpt2.Encode(text).Count);

        Assert.True(compactLength > gpt2Length, $"compact {compactLength} ids, GPT-2 {gpt2Length} ids");
    }

    [Fact]
    public void EmojiOutsideCorpusEncodesAsItsFourBytes()
    {
        IReadOnlyList<int> ids = s_english.Encode("😞");

        // U+1F61E is F0 9F 98 9E in UTF-8, and each byte's token has compact id byte + 1.
        Assert.Equal(new[] { 0xF0 + 1, 0x9F + 1, 0x98 + 1, 0x9E + 1 }, ids);
    }

    [Fact]
    public void DecodeDropsEndOfText()
    {
        IReadOnlyList<int> hello = s_english.Encode("I feel");

        string decoded = s_english.Decode([0, .. hello, 0]);

        Assert.Equal("I feel", decoded);
    }

    [Fact]
    public void ByteFallbackSplitsAccentedLetter()
    {
        IReadOnlyList<int> ids = s_english.Encode("é");

        Assert.Equal(2, ids.Count);
        Assert.Equal("é", s_english.Decode(ids));
        Assert.Equal("\uFFFD", s_english.Decode(ids.Take(1)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void DecodeRejectsIdOutsideVocabulary(int id)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => s_english.Decode([id]));

        Assert.Contains($"[0, {s_english.VocabularySize})", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinFrequencyDropsRareTokens()
    {
        Dictionary<int, int> counts = CountMergedTokens(s_corpus);
        var options = new CompactVocabularyOptions { MinFrequency = 10 };

        var tokenizer = CompactVocabularyTokenizer.FromCorpus(s_gpt2, s_corpus, options);

        Assert.All(counts, pair => Assert.Equal(pair.Value >= 10, tokenizer.TryGetId(pair.Key, out _)));
        Assert.Equal(BaseCount + counts.Count(pair => pair.Value >= 10), tokenizer.VocabularySize);
    }

    [Fact]
    public void MaxVocabularySizeKeepsMostFrequentTokens()
    {
        Dictionary<int, int> counts = CountMergedTokens(s_corpus);
        int[] expected = counts
            .OrderByDescending(pair => pair.Value)
            .ThenBy(pair => pair.Key)
            .Take(20)
            .Select(pair => pair.Key)
            .ToArray();
        var options = new CompactVocabularyOptions { MaxVocabularySize = BaseCount + 20 };

        var tokenizer = CompactVocabularyTokenizer.FromCorpus(s_gpt2, s_corpus, options);

        Assert.Equal(BaseCount + 20, tokenizer.VocabularySize);
        Assert.Equal(expected, tokenizer.Gpt2Ids.Skip(BaseCount));
    }

    [Fact]
    public void LimitedVocabularyStillRoundTripsCorpus()
    {
        var options = new CompactVocabularyOptions { MaxVocabularySize = BaseCount };

        var tokenizer = CompactVocabularyTokenizer.FromCorpus(s_gpt2, s_corpus, options);

        Assert.Equal(BaseCount, tokenizer.VocabularySize);
        Assert.All(s_corpus, text => Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text))));
    }

    [Fact]
    public void BuildingTwiceGivesSameIds()
    {
        var again = CompactVocabularyTokenizer.FromCorpus(s_gpt2, s_corpus);

        Assert.Equal(s_english.Gpt2Ids, again.Gpt2Ids);
    }

    [Fact]
    public void FromCorpusReportsEveryInvalidOption()
    {
        var options = new CompactVocabularyOptions { MinFrequency = 0, MaxVocabularySize = 100 };

        var exception = Assert.Throws<ArgumentException>(
            () => CompactVocabularyTokenizer.FromCorpus(s_gpt2, s_corpus, options));

        Assert.Contains("MinFrequency is 0", exception.Message, StringComparison.Ordinal);
        Assert.Contains("MaxVocabularySize is 100", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCorpusRejectsNullText()
    {
        var exception = Assert.Throws<ArgumentNullException>(
            () => CompactVocabularyTokenizer.FromCorpus(s_gpt2, ["fine", null!]));

        Assert.Contains("Corpus text 1 is null", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCorpusObservesCancellation()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.Throws<OperationCanceledException>(
            () => CompactVocabularyTokenizer.FromCorpus(
                s_gpt2, s_corpus, cancellationToken: cancellation.Token));
    }

    [Fact]
    public void ConstructorRejectsListWithoutByteTokens()
    {
        var exception = Assert.Throws<ArgumentException>(
            () => new CompactVocabularyTokenizer(s_gpt2, [50256, 15496]));

        Assert.Contains("256 of the 256 single-byte tokens", exception.Message, StringComparison.Ordinal);
    }

    private static int MapKept(CompactVocabularyTokenizer tokenizer, int gpt2Id)
    {
        Assert.True(tokenizer.TryGetId(gpt2Id, out int id), $"GPT-2 id {gpt2Id} is not kept.");
        return id;
    }

    // Counts the multi-byte GPT-2 tokens, which are the ones the size and frequency limits select from.
    private static Dictionary<int, int> CountMergedTokens(IEnumerable<string> corpus) =>
        corpus.SelectMany(s_gpt2.Encode)
            .Where(id => s_gpt2.GetTokenBytes(id).Length > 1)
            .GroupBy(id => id)
            .ToDictionary(group => group.Key, group => group.Count());
}
