using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Emorl.Pipeline;

/// <summary>Log messages of <see cref="EmorlTrainer"/>. No message carries counselling text.</summary>
internal static partial class EmorlTrainerLog
{
    [LoggerMessage(
        EventId = 1,
        Level = LogLevel.Information,
        Message = "Created a base model: {Layers} layers, hidden size {Hidden}, vocabulary {Vocabulary}, {Parameters} parameters, on the CPU with seed {Seed}")]
    public static partial void BaseModelCreated(ILogger logger, int layers, int hidden, int vocabulary, long parameters, int seed);

    [LoggerMessage(
        EventId = 2,
        Level = LogLevel.Information,
        Message = "Warm-up finished: {Steps} steps in {Seconds:F1} s, validation perplexity {Perplexity:F2}")]
    public static partial void WarmupFinished(ILogger logger, int steps, double seconds, double perplexity);

    [LoggerMessage(
        EventId = 3,
        Level = LogLevel.Information,
        Message = "Training objectives {Objectives} on {Statements} statements, on the CPU with seed {Seed}")]
    public static partial void TrainingStarted(ILogger logger, IReadOnlyList<string> objectives, int statements, int seed);

    [LoggerMessage(
        EventId = 4,
        Level = LogLevel.Information,
        Message = "Objective {Objective} trained: {Steps} steps in {Seconds:F1} s, last validation score {Score:F4}, converged {Converged}")]
    public static partial void ObjectiveTrained(ILogger logger, string objective, int steps, double seconds, double score, bool converged);

    [LoggerMessage(
        EventId = 5,
        Level = LogLevel.Information,
        Message = "Loaded {Count} adapters from {Directory}")]
    public static partial void AdaptersLoaded(ILogger logger, int count, string directory);

    [LoggerMessage(
        EventId = 6,
        Level = LogLevel.Information,
        Message = "Weight search finished: best weights ({Weights}), validation mean {Score:F4}, {Points} points scored")]
    public static partial void SearchFinished(ILogger logger, IReadOnlyList<double> weights, double score, int points);

    [LoggerMessage(
        EventId = 7,
        Level = LogLevel.Information,
        Message = "Evaluated {Statements} statements with weights ({Weights}): mean score {Mean:F4}")]
    public static partial void EvaluationFinished(ILogger logger, int statements, IReadOnlyList<double> weights, double mean);

    [LoggerMessage(
        EventId = 8,
        Level = LogLevel.Information,
        Message = "Weight search canceled after {Points} points scored: best weights so far ({Weights}), "
            + "validation mean {Score:F4}")]
    public static partial void SearchCanceled(ILogger logger, int points, IReadOnlyList<double> weights, double score);
}
