using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Emorl.Generation;

/// <summary>
/// Log messages of generation, written under the category of the type that decodes
/// (<c>HiddenStateAggregator</c>, <c>LogitsAggregator</c>, ...). No message carries token ids or text.
/// </summary>
internal static partial class GenerationLog
{
    [LoggerMessage(
        EventId = 101,
        EventName = "Generated",
        Level = LogLevel.Debug,
        Message = "Generated {Tokens} tokens for {Rows} prompts in {Steps} steps ({ElapsedMs:F0} ms) "
            + "with weights {Weights}")]
    public static partial void Generated(
        ILogger logger, int tokens, int rows, int steps, double elapsedMs, IReadOnlyList<double> weights);

    [LoggerMessage(
        EventId = 102,
        EventName = "GenerationCanceled",
        Level = LogLevel.Information,
        Message = "Generation canceled after {Steps} of at most {MaxSteps} steps, "
            + "with {Tokens} tokens picked for {Rows} prompts")]
    public static partial void Canceled(ILogger logger, int steps, int maxSteps, int tokens, int rows);
}
