using System.Collections.Generic;

namespace Emorl.Data;

/// <summary>The records read from EPITOME files and what the loader left out.</summary>
/// <param name="Records">The joined records, in the order of the emotional-reactions file.</param>
/// <param name="UnmatchedRowCount">
/// The rows, summed over the three files, dropped because their (sp_id, rp_id) pair was missing
/// from another file. Always 0 for the single-file form.
/// </param>
public sealed record EpitomeDataset(IReadOnlyList<EmpathyRecord> Records, int UnmatchedRowCount);
