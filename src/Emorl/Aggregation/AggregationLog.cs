using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Emorl.Aggregation;

/// <summary>Log messages of the aggregators. No message carries token ids or text.</summary>
internal static partial class AggregationLog
{
    [LoggerMessage(
        EventId = 1,
        EventName = "AggregatorCreated",
        Level = LogLevel.Debug,
        Message = "Aggregating {Count} objective models {Objectives}; adapters batched into one base pass: {Batched}")]
    public static partial void Created(ILogger logger, int count, IReadOnlyList<string> objectives, bool batched);

    [LoggerMessage(
        EventId = 2,
        EventName = "AdaptersMerged",
        Level = LogLevel.Debug,
        Message = "Merged {Count} adapters into {Projections} projections with weights {Weights} in {ElapsedMs:F0} ms")]
    public static partial void Merged(
        ILogger logger, int count, int projections, IReadOnlyList<double> weights, double elapsedMs);
}
