using System;
using System.IO;
using System.Linq;
using Emorl.Tokenization;
using Xunit.Abstractions;

namespace Emorl.Tests.Tokenization;

/// <summary>
/// Builds a compact vocabulary on the PAIR counselling data set when a copy is available.
/// </summary>
/// <remarks>
/// The file is found through the environment variable <c>EMORL_PAIR_DATA</c>, or else as
/// <c>shared/data/pair/pair_data.csv</c> in the test output folder or any folder above it. When it is
/// absent the test prints why and passes.
/// </remarks>
public sealed class CompactVocabularyPairCorpusTests(ITestOutputHelper output)
{
    private const string PathVariable = "EMORL_PAIR_DATA";

    [Fact]
    public void PairLinesRoundTripExactly()
    {
        string? path = FindPairData();
        if (path is null)
        {
            output.WriteLine(
                $"Skipped: PAIR data not found. Set {PathVariable} to pair_data.csv, or place it at " +
                "shared/data/pair/pair_data.csv above the test output folder.");
            return;
        }

        // Read as plain text: multi-line CSV fields become several lines, which is fine for a tokenizer.
        string[] lines = File.ReadAllLines(path);
        var gpt2 = new Gpt2Tokenizer();

        var tokenizer = CompactVocabularyTokenizer.FromCorpus(gpt2, lines);

        output.WriteLine(
            $"PAIR: {lines.Length} lines, compact vocabulary {tokenizer.VocabularySize} " +
            $"of {gpt2.VocabularySize}.");
        Assert.InRange(tokenizer.VocabularySize, CompactVocabularyTokenizer.BaseTokenCount + 1, 50_257);
        foreach (string line in lines)
        {
            Assert.Equal(line, tokenizer.Decode(tokenizer.Encode(line)));
            Assert.Equal(gpt2.Encode(line).Count, tokenizer.Encode(line).Count);
        }

        string whole = File.ReadAllText(path);
        Assert.Equal(whole, tokenizer.Decode(tokenizer.Encode(whole)));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void PairWithMinFrequencyStillRoundTrips(int minFrequency)
    {
        string? path = FindPairData();
        if (path is null)
        {
            output.WriteLine($"Skipped: PAIR data not found; set {PathVariable} to pair_data.csv.");
            return;
        }

        string[] lines = File.ReadAllLines(path);
        var gpt2 = new Gpt2Tokenizer();
        var options = new CompactVocabularyOptions { MinFrequency = minFrequency };

        var tokenizer = CompactVocabularyTokenizer.FromCorpus(gpt2, lines, options);

        long gpt2Length = lines.Sum(line => (long)gpt2.Encode(line).Count);
        long compactLength = lines.Sum(line => (long)tokenizer.Encode(line).Count);
        double ratio = (double)compactLength / gpt2Length;
        output.WriteLine(
            $"PAIR, MinFrequency {minFrequency}: compact vocabulary {tokenizer.VocabularySize}, " +
            $"{compactLength} ids against {gpt2Length} GPT-2 ids ({ratio:F3}x).");
        Assert.All(lines, line => Assert.Equal(line, tokenizer.Decode(tokenizer.Encode(line))));
    }

    private static string? FindPairData()
    {
        string? configured = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            Assert.True(
                File.Exists(configured),
                $"{PathVariable} is '{configured}', but no file exists there. " +
                "Fix the path or unset the variable.");
            return configured;
        }

        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        for (; directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "shared", "data", "pair", "pair_data.csv");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
