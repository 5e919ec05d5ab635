using Microsoft.Extensions.Logging;

namespace Emorl.Checkpoints;

/// <summary>Log messages of <see cref="Gpt2Checkpoint"/>.</summary>
internal static partial class CheckpointLog
{
    [LoggerMessage(
        EventId = 1,
        EventName = "ModelSaved",
        Level = LogLevel.Information,
        Message = "Saved a GPT-2 model with {Parameters} parameters ({Bytes} bytes) to {Directory} "
            + "in {ElapsedMs:F0} ms")]
    public static partial void ModelSaved(
        ILogger logger, long parameters, long bytes, string directory, double elapsedMs);

    [LoggerMessage(
        EventId = 2,
        EventName = "ModelLoaded",
        Level = LogLevel.Information,
        Message = "Loaded a GPT-2 model with {Layers} layers, hidden size {Hidden}, vocabulary {Vocabulary}, "
            + "{Parameters} parameters ({Bytes} bytes) from {Directory} in {ElapsedMs:F0} ms")]
    public static partial void ModelLoaded(
        ILogger logger,
        int layers,
        int hidden,
        int vocabulary,
        long parameters,
        long bytes,
        string directory,
        double elapsedMs);

    [LoggerMessage(
        EventId = 3,
        EventName = "AdapterSaved",
        Level = LogLevel.Information,
        Message = "Saved a LoRA adapter of rank {Rank} on {Projections} projections ({Bytes} bytes) "
            + "to {Directory} in {ElapsedMs:F0} ms")]
    public static partial void AdapterSaved(
        ILogger logger, int rank, int projections, long bytes, string directory, double elapsedMs);

    [LoggerMessage(
        EventId = 4,
        EventName = "AdapterLoaded",
        Level = LogLevel.Information,
        Message = "Loaded a LoRA adapter of rank {Rank} on {Projections} projections ({Bytes} bytes) "
            + "from {Directory} in {ElapsedMs:F0} ms")]
    public static partial void AdapterLoaded(
        ILogger logger, int rank, int projections, long bytes, string directory, double elapsedMs);
}
