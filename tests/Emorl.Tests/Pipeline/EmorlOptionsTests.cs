using System;
using System.Linq;
using Emorl.Pipeline;

namespace Emorl.Tests.Pipeline;

public sealed class EmorlOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = new EmorlOptions();

        var failures = options.Validate();

        Assert.Empty(failures);
    }

    [Fact]
    public void EveryInvalidValueIsReportedTogether()
    {
        var options = new EmorlOptions { EvaluationBatchSize = 0 };
        options.Training.LearningRate = -1;
        options.Training.Sampling.Temperature = 0;
        options.Search.Levels = 0;
        options.Lora.Rank = 0;
        options.Warmup.Steps = 0;

        var failures = options.Validate();

        Assert.Equal(6, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("EvaluationBatchSize is 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Training.LearningRate is -1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Training.Sampling.Temperature is 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Search.Levels is 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Lora.Rank is 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Warmup.Steps is 0", StringComparison.Ordinal));
    }

    [Fact]
    public void NegativeSearchLowerBoundIsRejected()
    {
        var options = new EmorlOptions();
        options.Search.LowerBound = -0.5;

        var failures = options.Validate();

        var failure = Assert.Single(failures);
        Assert.StartsWith("Search.LowerBound is -0.5, but the searched points are aggregation weights", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void SamplingFailureIsListedOnce()
    {
        var options = new EmorlOptions();
        options.Training.Sampling.TopP = 2;

        var failures = options.Validate();

        var failure = Assert.Single(failures);
        Assert.StartsWith("Training.Sampling.TopP is 2", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortContextIsRejected()
    {
        var options = new EmorlOptions { MaxPromptTokens = 100 };
        options.Model.ContextLength = 120;

        var failures = options.Validate();

        var failure = Assert.Single(failures);
        Assert.Contains("needs 164", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void NullSectionIsReported()
    {
        var options = new EmorlOptions { Search = null!, Lora = null! };

        var failures = options.Validate();

        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Search is null", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Lora is null", StringComparison.Ordinal));
    }

    [Fact]
    public void ThrowIfInvalidListsEveryFailure()
    {
        var options = new EmorlOptions { MaxResponseTokens = 1, EvaluationBatchSize = -3 };

        var error = Assert.Throws<ArgumentException>(options.ThrowIfInvalid);

        Assert.Contains("2 invalid value(s)", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Message.Split('\n').Count(line => line.TrimStart().StartsWith("- ", StringComparison.Ordinal)));
    }

    [Fact]
    public void NestedValidateStillThrowsArgumentException()
    {
        var options = new EmorlOptions();
        options.Training.MaxSteps = 0;

        var error = Assert.Throws<ArgumentException>(options.Training.Validate);

        Assert.Contains("MaxSteps is 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SharedCheckpointPathIsRejected()
    {
        var options = new EmorlOptions();
        options.Training.CheckpointPath = "run.ckpt";

        var failure = Assert.Single(options.Validate());

        Assert.StartsWith("Training.CheckpointPath is 'run.ckpt'", failure, StringComparison.Ordinal);
        Assert.Contains("PolicyTrainer directly", failure, StringComparison.Ordinal);
    }
}
