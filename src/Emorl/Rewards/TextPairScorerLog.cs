using Microsoft.Extensions.Logging;

namespace Emorl.Rewards;

/// <summary>Log messages of <see cref="TextPairScorer"/> and its trainer.</summary>
internal static partial class TextPairScorerLog
{
    [LoggerMessage(
        EventId = 1,
        Level = LogLevel.Information,
        Message = "Training pair scorer {Name} on {ExampleCount} examples, {PromptCount} prompts and "
            + "{TokenCount} distinct tokens, on the CPU with seed {Seed}")]
    public static partial void TrainingStarted(
        ILogger logger,
        string name,
        int exampleCount,
        int promptCount,
        int tokenCount,
        int seed);

    [LoggerMessage(
        EventId = 2,
        Level = LogLevel.Debug,
        Message = "Pair scorer {Name} finished epoch {Epoch}/{Epochs} with mean training loss {Loss:F4}")]
    public static partial void EpochFinished(ILogger logger, string name, int epoch, int epochs, double loss);

    [LoggerMessage(
        EventId = 3,
        Level = LogLevel.Information,
        Message = "Trained pair scorer {Name} in {Seconds:F1} s")]
    public static partial void TrainingFinished(ILogger logger, string name, double seconds);

    [LoggerMessage(
        EventId = 4,
        Level = LogLevel.Information,
        Message = "Saved pair scorer {Name} to {Path}")]
    public static partial void Saved(ILogger logger, string name, string path);

    [LoggerMessage(
        EventId = 5,
        Level = LogLevel.Information,
        Message = "Loaded pair scorer {Name} from {Path}")]
    public static partial void Loaded(ILogger logger, string name, string path);
}
