using System;
using System.IO;
using Emorl.Tests.Checkpoints;
using Emorl.Tokenization;

namespace Emorl.Tests.Tokenization;

public sealed class Gpt2BpeTokenizerTests : IDisposable
{
    // In GPT-2's byte order the printable bytes come first, from '!' (33), so 't' (116) has id 83.
    private const int T = 116 - 33;
    private const int He = 257;
    private const int SpaceThe = 258;
    private const int SpaceCat = 261;
    private const int EndOfText = 262;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emorl-bpe-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void VocabAndMergesEncodeByRank()
    {
        HuggingFaceFixtures.WriteTinyTokenizer(_directory);

        var tokenizer = Gpt2BpeTokenizer.Load(_directory);

        Assert.Equal(new[] { T, He, SpaceCat, SpaceThe }, tokenizer.Encode("the cat the"));
        Assert.Equal(EndOfText, tokenizer.EndOfTextId);
        Assert.Equal(EndOfText + 1, tokenizer.VocabularySize);
    }

    [Fact]
    public void TokenizerJsonEncodesLikeVocabAndMerges()
    {
        HuggingFaceFixtures.WriteTinyTokenizer(_directory, asTokenizerJson: true);

        var tokenizer = Gpt2BpeTokenizer.Load(_directory);

        Assert.Equal(new[] { T, He, SpaceCat, SpaceThe }, tokenizer.Encode("the cat the"));
        Assert.Equal(EndOfText, tokenizer.EndOfTextId);
    }

    [Fact]
    public void DecodeRoundTripsAndDropsEndOfText()
    {
        HuggingFaceFixtures.WriteTinyTokenizer(_directory);
        var tokenizer = Gpt2BpeTokenizer.Load(_directory);
        const string Text = "I feel tired, ça va? 😊";

        var ids = tokenizer.Encode(Text);

        Assert.Equal(Text, tokenizer.Decode([.. ids, EndOfText]));
    }

    [Fact]
    public void SavedTokenizerLoadsWithSameIds()
    {
        HuggingFaceFixtures.WriteTinyTokenizer(_directory, asTokenizerJson: true);
        var tokenizer = Gpt2BpeTokenizer.Load(_directory);
        string copy = Path.Combine(_directory, "copy");

        tokenizer.Save(copy);
        var loaded = Gpt2BpeTokenizer.Load(copy);

        Assert.Equal(tokenizer.Encode("the cat sat"), loaded.Encode("the cat sat"));
    }

    [Fact]
    public void MissingTokenizerFilesAreNamed()
    {
        Directory.CreateDirectory(_directory);

        var error = Assert.Throws<FileNotFoundException>(() => Gpt2BpeTokenizer.Load(_directory));

        Assert.Contains("merges.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
