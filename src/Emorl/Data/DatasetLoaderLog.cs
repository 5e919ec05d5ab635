using Microsoft.Extensions.Logging;

namespace Emorl.Data;

/// <summary>Log messages of the dataset loaders, which count everything they leave out.</summary>
internal static partial class DatasetLoaderLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Records} records from {Source}")]
    public static partial void Loaded(ILogger logger, string source, int records);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "{Source}: left out {DuplicateRows} rows whose prompt repeats an earlier row's, {BlankRows} blank rows "
            + "and {EmptyCells} empty response cells")]
    public static partial void PairLeftOut(ILogger logger, string source, int duplicateRows, int blankRows, int emptyCells);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "{Source}: left out {UnmatchedRows} rows whose (sp_id, rp_id) pair is missing from another mechanism's file")]
    public static partial void EpitomeUnmatched(ILogger logger, string source, int unmatchedRows);

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "{Source}: left out {Rows} rows of transcripts whose mi_quality is not high, as requested")]
    public static partial void AnnoMiLowQualitySkipped(ILogger logger, string source, int rows);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "{Source}: left out {Pairs} client-reflection pairs with an empty utterance_text")]
    public static partial void AnnoMiEmptyPairsSkipped(ILogger logger, string source, int pairs);
}
