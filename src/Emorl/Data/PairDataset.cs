using System.Collections.Generic;

namespace Emorl.Data;

/// <summary>The records read from a PAIR file and what the loader left out.</summary>
/// <param name="Records">One record per distinct prompt, in file order.</param>
/// <param name="DuplicatePromptCount">
/// The rows dropped because an earlier row had the same trimmed prompt (ordinal comparison).
/// </param>
/// <param name="EmptyResponseCount">The response cells skipped because they were empty after trimming.</param>
public sealed record PairDataset(IReadOnlyList<PairRecord> Records, int DuplicatePromptCount, int EmptyResponseCount)
{
    /// <summary>Gets the rows skipped because every cell was empty after trimming.</summary>
    public int BlankRowCount { get; init; }
}
