using System;
using Emorl.Rewards;

namespace Emorl.Tests.Rewards;

public sealed class TextPairScorerOptionsTests
{
    [Fact]
    public void DefaultOptionsAreValid()
    {
        var options = new TextPairScorerOptions();

        var exception = Record.Exception(options.Validate);

        Assert.Null(exception);
    }

    [Fact]
    public void ValidationListsEveryInvalidValue()
    {
        var options = new TextPairScorerOptions
        {
            EmbeddingSize = 0,
            HiddenSize = -3,
            Epochs = 0,
            BatchSize = 1,
            LearningRate = 0,
            WeightDecay = -0.1,
            MaxTokensPerSide = 0,
            Dropout = 1.0,
            TokenDropout = double.NaN,
            RankingWeight = -1,
            RankingMargin = 101,
            ThreadCount = -1,
        };

        var exception = Assert.Throws<ArgumentException>(options.Validate);

        string[] expected =
        {
            "EmbeddingSize is 0", "HiddenSize is -3", "Epochs is 0", "BatchSize is 1", "LearningRate is 0",
            "WeightDecay is -0.1", "MaxTokensPerSide is 0", "Dropout is 1", "TokenDropout is NaN",
            "RankingWeight is -1", "RankingMargin is 101", "ThreadCount is -1",
        };
        foreach (string fragment in expected)
        {
            Assert.Contains(fragment, exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ValidationMessageStatesTheRange()
    {
        var options = new TextPairScorerOptions { Dropout = 1.5 };

        var exception = Assert.Throws<ArgumentException>(options.Validate);

        const string Expected = "Dropout is 1.5, but must be a finite number in [0, 1)";
        Assert.Contains(Expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CloneCopiesEveryValue()
    {
        var options = new TextPairScorerOptions { EmbeddingSize = 16, Seed = 7, RankingMargin = 2.5 };

        TextPairScorerOptions copy = options.Clone();
        options.EmbeddingSize = 32;

        Assert.Equal(16, copy.EmbeddingSize);
        Assert.Equal(7, copy.Seed);
        Assert.Equal(2.5, copy.RankingMargin);
    }
}
