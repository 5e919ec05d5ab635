using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Emorl.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Emorl.Tests.Tokenization;

public sealed class Gpt2TokenizerTests
{
    private static readonly Gpt2Tokenizer s_gpt2 = new();

    [Fact]
    public void EncodeMatchesPublishedGpt2Ids()
    {
        IReadOnlyList<int> ids = s_gpt2.Encode("Hello world, I feel anxious.");

        Assert.Equal(new[] { 15496, 995, 11, 314, 1254, 18116, 13 }, ids);
    }

    [Fact]
    public void VocabularyHasGpt2SizeAndEndOfText()
    {
        Assert.Equal(50257, s_gpt2.VocabularySize);
        Assert.Equal(50256, s_gpt2.EndOfTextId);
    }

    [Fact]
    public void DecodeDropsEndOfText()
    {
        string text = s_gpt2.Decode([15496, 50256, 995, 50256]);

        Assert.Equal("Hello world", text);
    }

    [Theory]
    [MemberData(nameof(TokenizationTestData.HardStringRows), MemberType = typeof(TokenizationTestData))]
    public void DecodeInvertsEncode(string text)
    {
        string decoded = s_gpt2.Decode(s_gpt2.Encode(text));

        Assert.Equal(text, decoded);
    }

    [Theory]
    [MemberData(nameof(TokenizationTestData.HardStringRows), MemberType = typeof(TokenizationTestData))]
    public void EncodeMatchesLibraryGpt2Tokenizer(string text)
    {
        // The library tokenizer maps "<|endoftext|>" in text to 50256, so that row is compared on the
        // pieces around the marker.
        var library = TiktokenTokenizer.CreateForModel("gpt2");
        foreach (string piece in text.Split("<|endoftext|>"))
        {
            Assert.Equal(library.EncodeToIds(piece), s_gpt2.Encode(piece));
        }
    }

    [Fact]
    public void EncodeMatchesLibraryOnCorpus()
    {
        var library = TiktokenTokenizer.CreateForModel("gpt2");

        foreach (string text in TokenizationTestData.EnglishCorpus)
        {
            Assert.Equal(library.EncodeToIds(text), s_gpt2.Encode(text));
        }
    }

    [Fact]
    public void LiteralEndOfTextIsOrdinaryText()
    {
        IReadOnlyList<int> ids = s_gpt2.Encode("a<|endoftext|>b");

        Assert.DoesNotContain(50256, ids);
        Assert.Equal("a<|endoftext|>b", s_gpt2.Decode(ids));
    }

    [Fact]
    public void TokenBytesMatchLibraryDecode()
    {
        var library = TiktokenTokenizer.CreateForModel("gpt2");
        int checkedTokens = 0;

        for (int id = 0; id < s_gpt2.EndOfTextId; id++)
        {
            string decoded = library.Decode([id]);
            if (decoded.Contains('\uFFFD', StringComparison.Ordinal))
            {
                continue; // part of a multi-byte character, which the round-trip tests cover
            }

            Assert.Equal(Encoding.UTF8.GetBytes(decoded), s_gpt2.GetTokenBytes(id).ToArray());
            checkedTokens++;
        }

        Assert.True(checkedTokens > 49_000, $"Only {checkedTokens} tokens decode to valid UTF-8 alone.");
    }

    [Fact]
    public void EveryByteHasItsOwnBaseToken()
    {
        int[] ids = Enumerable.Range(0, 256).Select(value => s_gpt2.GetByteTokenId((byte)value)).ToArray();

        Assert.Equal(256, ids.Distinct().Count());
        Assert.All(ids, id => Assert.InRange(id, 0, 255));
        for (int value = 0; value < 256; value++)
        {
            Assert.Equal(new[] { (byte)value }, s_gpt2.GetTokenBytes(ids[value]).ToArray());
        }
    }

    [Fact]
    public void EndOfTextHasNoBytes()
    {
        Assert.Equal(0, s_gpt2.GetTokenBytes(50256).Length);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(50257)]
    public void DecodeRejectsIdOutsideVocabulary(int id)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => s_gpt2.Decode([id]));

        Assert.Contains("[0, 50257)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnpairedSurrogateDecodesToReplacementCharacter()
    {
        string decoded = s_gpt2.Decode(s_gpt2.Encode("a\uD800b"));

        Assert.StartsWith("a\uFFFD", decoded, StringComparison.Ordinal);
        Assert.EndsWith("\uFFFDb", decoded, StringComparison.Ordinal);
        Assert.DoesNotContain("\uD800", decoded, StringComparison.Ordinal);
    }
}
