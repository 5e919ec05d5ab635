using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Data;

/// <summary>
/// One PAIR prompt with its graded counselor responses.
/// </summary>
/// <remarks>
/// PAIR (Min et al., "PAIR: Prompt-Aware margIn Ranking for Counselor Reflection Scoring in
/// Motivational Interviewing", EMNLP 2022) gives each client statement two high-quality (complex
/// reflection), one medium-quality (simple reflection) and five low-quality responses. Any of the
/// lists may be shorter, or empty, when the file had empty cells.
/// </remarks>
/// <param name="Prompt">The client's statement, trimmed, and never empty when loaded from a file.</param>
/// <param name="HighQuality">The high-quality responses (<c>hq1</c>, <c>hq2</c>), in column order.</param>
/// <param name="MediumQuality">The medium-quality responses (<c>mq1</c>).</param>
/// <param name="LowQuality">The low-quality responses (<c>lq1</c>..<c>lq5</c>), in column order.</param>
public sealed record PairRecord(
    string Prompt,
    IReadOnlyList<string> HighQuality,
    IReadOnlyList<string> MediumQuality,
    IReadOnlyList<string> LowQuality)
{
    /// <summary>Gets the client's statement.</summary>
    public string Prompt { get; init; } = Prompt ?? throw new ArgumentNullException(nameof(Prompt));

    /// <summary>Gets the high-quality responses, in column order.</summary>
    public IReadOnlyList<string> HighQuality { get; init; } =
        HighQuality ?? throw new ArgumentNullException(nameof(HighQuality));

    /// <summary>Gets the medium-quality responses, in column order.</summary>
    public IReadOnlyList<string> MediumQuality { get; init; } =
        MediumQuality ?? throw new ArgumentNullException(nameof(MediumQuality));

    /// <summary>Gets the low-quality responses, in column order.</summary>
    public IReadOnlyList<string> LowQuality { get; init; } =
        LowQuality ?? throw new ArgumentNullException(nameof(LowQuality));

    /// <summary>Lists every response with its quality level: high first, then medium, then low.</summary>
    /// <returns>A new list with one entry per response, in column order within each level.</returns>
    public IReadOnlyList<GradedResponse> GetGradedResponses()
    {
        var responses = new List<GradedResponse>(HighQuality.Count + MediumQuality.Count + LowQuality.Count);
        responses.AddRange(HighQuality.Select(text => new GradedResponse(text, ResponseQuality.High)));
        responses.AddRange(MediumQuality.Select(text => new GradedResponse(text, ResponseQuality.Medium)));
        responses.AddRange(LowQuality.Select(text => new GradedResponse(text, ResponseQuality.Low)));
        return responses;
    }

    /// <summary>Creates a copy whose prompt and responses use ASCII quotes.</summary>
    /// <returns>A new record. <see cref="TypographicQuotes.ToAscii"/> lists the characters replaced.</returns>
    public PairRecord WithAsciiQuotes() =>
        new(
            TypographicQuotes.ToAscii(Prompt),
            HighQuality.Select(TypographicQuotes.ToAscii).ToArray(),
            MediumQuality.Select(TypographicQuotes.ToAscii).ToArray(),
            LowQuality.Select(TypographicQuotes.ToAscii).ToArray());
}
