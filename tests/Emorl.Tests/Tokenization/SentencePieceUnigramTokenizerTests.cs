using System;
using System.IO;
using System.Linq;
using Emorl.Tokenization;

namespace Emorl.Tests.Tokenization;

public sealed class SentencePieceUnigramTokenizerTests
{
    private static SentencePieceUnigramTokenizer Load(string normalizerName = "identity")
    {
        using var stream = new MemoryStream(SentencePieceModelFixture.T5Style(normalizerName));
        return SentencePieceUnigramTokenizer.Load(stream);
    }

    [Fact]
    public void T5StyleModelLoadsWithoutBeginOfSentence()
    {
        var tokenizer = Load();

        Assert.Equal(14, tokenizer.VocabularySize);
        Assert.Equal(1, tokenizer.EndOfTextId);
        Assert.Equal(2, tokenizer.UnknownId);
        Assert.Equal(0, tokenizer.PaddingId);
        Assert.Equal("\u2581ca", tokenizer.GetPiece(6));
    }

    [Theory]
    // ▁the (−1) beats ▁ t h e (−12.3).
    [InlineData("the", new[] { 4 })]
    // ▁ca ts (−2) beats the longer first piece ▁cat s (−5): Viterbi, not longest match.
    [InlineData("the cats", new[] { 4, 6, 7 })]
    // ▁cat (−2) beats ▁ca t (−4.5).
    [InlineData("the cat", new[] { 4, 5 })]
    // Leading, trailing and repeated spaces collapse to one ▁ before each word.
    [InlineData("  the   cat  ", new[] { 4, 5 })]
    // "th" has no piece "▁th": ▁ t h (−9.1).
    [InlineData("th", new[] { 3, 9, 10 })]
    [InlineData("", new int[0])]
    public void SegmentationMatchesHandCheckedExamples(string text, int[] expected)
    {
        var tokenizer = Load();

        Assert.Equal(expected, tokenizer.Encode(text));
    }

    [Fact]
    public void RunOfUnknownCharactersBecomesOneUnknown()
    {
        var tokenizer = Load();

        // ▁the ▁ <unk> ▁cat: "xyz" is one <unk>, not three.
        Assert.Equal(new[] { 4, 3, 2, 5 }, tokenizer.Encode("the xyz cat"));
        // Unknown runs split by a known piece stay separate: x, a, y → <unk> a <unk>.
        Assert.Equal(new[] { 3, 2, 12, 2 }, tokenizer.Encode("xay"));
        // A character outside the basic plane is one unknown code point, not two.
        Assert.Equal(new[] { 3, 2, 8 }, tokenizer.Encode("\U0001F600s"));
    }

    [Fact]
    public void EndOfSequenceIsAppendedOnlyWhenAsked()
    {
        var tokenizer = Load();

        Assert.Equal(new[] { 4, 5 }, tokenizer.Encode("the cat"));
        Assert.Equal(new[] { 4, 5, 1 }, tokenizer.EncodeWithEndOfSequence("the cat"));
    }

    [Theory]
    [InlineData("the cats")]
    [InlineData("the cat the cat")]
    [InlineData("cats taste")]
    public void EncodeDecodeRoundTrips(string text)
    {
        var tokenizer = Load();

        Assert.Equal(text, tokenizer.Decode(tokenizer.EncodeWithEndOfSequence(text)));
    }

    [Fact]
    public void DecodeDropsControlPiecesAndMarksUnknowns()
    {
        var tokenizer = Load();

        // "▁the" + " ⁇ " + "▁cat", spaces restored and the prepended space removed.
        Assert.Equal("the \u2047  cat", tokenizer.Decode([0, 4, 2, 5, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([14]));
    }

    [Fact]
    public void CharsmapRulesApplyBeforeSegmentation()
    {
        byte[] charsmap = CharsMapFixture.Build(
        [
            ("\t", " "),
            ("\n", " "),
            ("\u200B", ""),
            ("\uFF43", "c"),          // full-width c, as NFKC maps it
            ("\uFF41", "a"),          // full-width a, sharing its first two UTF-8 bytes with c
            ("\uFF54", "t"),
            ("\uFF54\uFF53", "s"),    // a longer key that starts like the full-width t
        ]);
        using var stream = new MemoryStream(SentencePieceModelFixture.T5Style("nmt_nfkc", charsmap));
        var tokenizer = SentencePieceUnigramTokenizer.Load(stream);

        // Tab and newline map to spaces, which then collapse: ▁the ▁cat.
        Assert.Equal(new[] { 4, 5 }, tokenizer.Encode("the\tcat\n"));
        // Full-width letters map to ASCII; the zero-width space maps to nothing.
        Assert.Equal(new[] { 4, 5 }, tokenizer.Encode("the \uFF43\u200B\uFF41\uFF54"));
        // The longest key wins: "ｔｓ" becomes "s", not "ts".
        Assert.Equal(new[] { 3, 13, 8 }, tokenizer.Encode("c\uFF54\uFF53"));
        Assert.Equal(new[] { 3, 13, 7 }, tokenizer.Encode("cts"));
    }

    [Fact]
    public void WithoutCharsmapOnlySpaceIsWhitespace()
    {
        var tokenizer = Load();

        // The tab and newline are characters no piece covers: ▁the <unk> c a t <unk>.
        Assert.Equal(new[] { 4, 2, 13, 12, 9, 2 }, tokenizer.Encode("the\tcat\n"));
    }

    [Fact]
    public void DamagedCharsmapIsRejected()
    {
        byte[] charsmap = CharsMapFixture.Build([("\t", " ")]);
        charsmap[0] = 0xF0;
        using var stream = new MemoryStream(SentencePieceModelFixture.T5Style("nmt_nfkc", charsmap));

        var error = Assert.Throws<InvalidDataException>(() => SentencePieceUnigramTokenizer.Load(stream));

        Assert.Contains("precompiled_charsmap", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UserDefinedPieceIsKeptWhole()
    {
        var pieces = SentencePieceModelFixture.Pieces.Append(("ca", -20f, SentencePieceModelFixture.UserDefined)).ToList();
        using var stream = new MemoryStream(SentencePieceModelFixture.Build(pieces, 1, 2, -1, 1, 0, "identity"));
        var tokenizer = SentencePieceUnigramTokenizer.Load(stream);

        // Without the user-defined piece "xcat" segments as ▁ <unk> c a t; with it, "ca" stays whole.
        Assert.Equal(new[] { 3, 2, 14, 9 }, tokenizer.Encode("xcat"));
    }

    [Fact]
    public void BpeModelIsRejected()
    {
        using var stream = new MemoryStream(
            SentencePieceModelFixture.Build(SentencePieceModelFixture.Pieces, 2, 2, -1, 1, 0, "identity"));

        var error = Assert.Throws<NotSupportedException>(() => SentencePieceUnigramTokenizer.Load(stream));

        Assert.Contains("Unigram", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonControlEndOfSequenceIsRejected()
    {
        using var stream = new MemoryStream(
            SentencePieceModelFixture.Build(SentencePieceModelFixture.Pieces, 1, 2, -1, 5, 0, "identity"));

        var error = Assert.Throws<InvalidDataException>(() => SentencePieceUnigramTokenizer.Load(stream));

        Assert.Contains("eos_id is 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedModelIsRejected()
    {
        byte[] bytes = SentencePieceModelFixture.T5Style();
        using var stream = new MemoryStream(bytes[..(bytes.Length - 7)]);

        var error = Assert.Throws<InvalidDataException>(() => SentencePieceUnigramTokenizer.Load(stream));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelFileLoadsFromPath()
    {
        string path = Path.Combine(Path.GetTempPath(), "emorl-spiece-" + Guid.NewGuid().ToString("N") + ".model");
        File.WriteAllBytes(path, SentencePieceModelFixture.T5Style());
        try
        {
            var tokenizer = SentencePieceUnigramTokenizer.Load(path);

            Assert.Equal(new[] { 4, 6, 7, 1 }, tokenizer.EncodeWithEndOfSequence("the cats"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
