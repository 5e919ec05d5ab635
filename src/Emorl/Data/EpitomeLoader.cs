using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Emorl.Data;

/// <summary>
/// Reads the EPITOME empathy dataset, either as the three published per-mechanism files or as one
/// combined file.
/// </summary>
/// <remarks>
/// <para>
/// The published form is three CSV files, one per mechanism, each with the header
/// <c>sp_id,rp_id,seeker_post,response_post,level,rationales</c> (only the first five are read).
/// Rows are joined on (sp_id, rp_id). The published files repeat some pairs, with the same texts
/// but sometimes different levels, so the n-th row with a pair in one file joins the n-th row
/// with that pair in the others. A row whose pair and occurrence is missing from another file is
/// dropped and counted in <see cref="EpitomeDataset.UnmatchedRowCount"/>, and in the log by the
/// overloads that take a logger. Texts are trimmed and taken from the emotional-reactions file. An
/// empty <c>seeker_post</c> or <c>response_post</c> is an error, because the record would train on
/// an empty prompt or response.
/// </para>
/// <para>
/// The combined form is one CSV file with the header
/// <c>seeker_post,response_post,emotional_reactions,interpretations,explorations</c>.
/// </para>
/// </remarks>
public static class EpitomeLoader
{
    /// <summary>The file name of the emotional-reactions annotations.</summary>
    public const string EmotionalReactionsFileName = "emotional-reactions-reddit.csv";

    /// <summary>The file name of the interpretations annotations.</summary>
    public const string InterpretationsFileName = "interpretations-reddit.csv";

    /// <summary>The file name of the explorations annotations.</summary>
    public const string ExplorationsFileName = "explorations-reddit.csv";

    /// <summary>Gets the columns each per-mechanism file must contain.</summary>
    public static IReadOnlyList<string> MechanismColumnNames { get; } =
        ["sp_id", "rp_id", "seeker_post", "response_post", "level"];

    /// <summary>Gets the columns the combined file must contain.</summary>
    public static IReadOnlyList<string> CombinedColumnNames { get; } =
        ["seeker_post", "response_post", "emotional_reactions", "interpretations", "explorations"];

    /// <summary>Reads and joins the three per-mechanism files in a folder.</summary>
    /// <param name="folder">
    /// A folder containing <see cref="EmotionalReactionsFileName"/>, <see cref="InterpretationsFileName"/>
    /// and <see cref="ExplorationsFileName"/>.
    /// </param>
    /// <returns>The joined records and the count of rows that did not join.</returns>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">One of the three files is missing.</exception>
    /// <exception cref="DatasetFormatException">
    /// A file is not valid CSV, lacks a column or has an invalid level.
    /// </exception>
    public static EpitomeDataset LoadFolder(string folder) => LoadFolder(folder, null, null);

    /// <summary>Reads and joins the three per-mechanism files in a folder, in a given encoding, and logs what was left out.</summary>
    /// <param name="folder">A folder containing the three files.</param>
    /// <param name="encoding">The files' encoding, or <see langword="null"/> for UTF-8.</param>
    /// <param name="logger">Receives the count of rows that did not join, or <see langword="null"/>.</param>
    /// <returns>The joined records and the count of rows that did not join.</returns>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">One of the three files is missing.</exception>
    /// <exception cref="DatasetFormatException">
    /// A file is not valid text in its encoding or not valid CSV, lacks a column, has an empty text or an invalid level.
    /// </exception>
    public static EpitomeDataset LoadFolder(string folder, Encoding? encoding, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);

        string[] paths =
        [
            Path.Combine(folder, EmotionalReactionsFileName),
            Path.Combine(folder, InterpretationsFileName),
            Path.Combine(folder, ExplorationsFileName),
        ];
        foreach (string path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"The EPITOME file '{path}' was not found. The folder must contain {EmotionalReactionsFileName}, "
                    + $"{InterpretationsFileName} and {ExplorationsFileName} from the dataset folder of "
                    + "behavioral-data/Empathy-Mental-Health.",
                    path);
            }
        }

        using TextReader emotionalReactions = CsvReader.OpenFile(paths[0], encoding);
        using TextReader interpretations = CsvReader.OpenFile(paths[1], encoding);
        using TextReader explorations = CsvReader.OpenFile(paths[2], encoding);
        return Join(
            ReadMechanism(emotionalReactions, paths[0]),
            ReadMechanism(interpretations, paths[1]),
            ReadMechanism(explorations, paths[2]),
            folder,
            logger);
    }

    /// <summary>Reads and joins the three per-mechanism files from text readers.</summary>
    /// <param name="emotionalReactions">The emotional-reactions CSV, read to the end and not disposed.</param>
    /// <param name="interpretations">The interpretations CSV, read to the end and not disposed.</param>
    /// <param name="explorations">The explorations CSV, read to the end and not disposed.</param>
    /// <returns>The joined records and the count of rows that did not join.</returns>
    /// <exception cref="ArgumentNullException">A reader is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// A text is not valid CSV, lacks a column or has an invalid level. The message names the
    /// published file name.
    /// </exception>
    public static EpitomeDataset Load(
        TextReader emotionalReactions,
        TextReader interpretations,
        TextReader explorations) =>
        Load(emotionalReactions, interpretations, explorations, null);

    /// <summary>Reads and joins the three per-mechanism files from text readers and logs what was left out.</summary>
    /// <param name="emotionalReactions">The emotional-reactions CSV, read to the end and not disposed.</param>
    /// <param name="interpretations">The interpretations CSV, read to the end and not disposed.</param>
    /// <param name="explorations">The explorations CSV, read to the end and not disposed.</param>
    /// <param name="logger">Receives the count of rows that did not join, or <see langword="null"/>.</param>
    /// <returns>The joined records and the count of rows that did not join.</returns>
    /// <exception cref="ArgumentNullException">A reader is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// A text is not valid CSV, lacks a column, has an empty text or an invalid level. The message names the
    /// published file name.
    /// </exception>
    public static EpitomeDataset Load(
        TextReader emotionalReactions,
        TextReader interpretations,
        TextReader explorations,
        ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(emotionalReactions);
        ArgumentNullException.ThrowIfNull(interpretations);
        ArgumentNullException.ThrowIfNull(explorations);

        return Join(
            ReadMechanism(emotionalReactions, EmotionalReactionsFileName),
            ReadMechanism(interpretations, InterpretationsFileName),
            ReadMechanism(explorations, ExplorationsFileName),
            "EPITOME",
            logger);
    }

    /// <summary>Reads a combined file with all three levels in one row.</summary>
    /// <param name="path">The path of a UTF-8 CSV file with the columns in <see cref="CombinedColumnNames"/>.</param>
    /// <returns>The records, in file order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid CSV, lacks a column or has an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(string path) => LoadCombined(path, null, null);

    /// <summary>Reads a combined file in a given encoding and logs the record count.</summary>
    /// <param name="path">The path of a CSV file with the columns in <see cref="CombinedColumnNames"/>.</param>
    /// <param name="encoding">The file's encoding, or <see langword="null"/> for UTF-8.</param>
    /// <param name="logger">Receives the record count, or <see langword="null"/>.</param>
    /// <returns>The records, in file order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid text in its encoding or not valid CSV, lacks a column, has an empty text or an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(string path, Encoding? encoding, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        using TextReader reader = CsvReader.OpenFile(path, encoding);
        return LoadCombined(reader, path, logger);
    }

    /// <summary>Reads a combined file from a stream, such as an embedded resource.</summary>
    /// <param name="stream">UTF-8 CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages.</param>
    /// <returns>The records, in input order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column or has an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(Stream stream, string sourceName = "stream") =>
        LoadCombined(stream, sourceName, null, null);

    /// <summary>Reads a combined file from a stream in a given encoding and logs the record count.</summary>
    /// <param name="stream">CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages and the log.</param>
    /// <param name="encoding">The stream's encoding, or <see langword="null"/> for UTF-8.</param>
    /// <param name="logger">Receives the record count, or <see langword="null"/>.</param>
    /// <returns>The records, in input order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="sourceName"/> is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid in its encoding or not valid CSV, lacks a column, has an empty text or an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(Stream stream, string sourceName, Encoding? encoding, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        using TextReader reader = CsvReader.OpenStream(stream, encoding);
        return LoadCombined(reader, sourceName, logger);
    }

    /// <summary>Reads a combined file from a text reader.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages.</param>
    /// <returns>The records, in input order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column or has an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(TextReader reader, string sourceName = "text") =>
        LoadCombined(reader, sourceName, null);

    /// <summary>Reads a combined file from a text reader and logs the record count.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages and the log.</param>
    /// <param name="logger">Receives the record count, or <see langword="null"/>.</param>
    /// <returns>The records, in input order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> or <paramref name="sourceName"/> is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column, has an empty text or an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(TextReader reader, string sourceName, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);

        var csv = new CsvReader(reader, sourceName);
        CsvHeader header = CsvHeader.Read(csv, CombinedColumnNames);
        int[] indices = new int[CombinedColumnNames.Count];
        for (int i = 0; i < indices.Length; i++)
        {
            indices[i] = header.IndexOf(CombinedColumnNames[i]);
        }

        var records = new List<EmpathyRecord>();
        for (IReadOnlyList<string>? row = csv.ReadRow(); row is not null; row = csv.ReadRow())
        {
            records.Add(new EmpathyRecord(
                ReadText(csv, row, indices[0], CombinedColumnNames[0]),
                ReadText(csv, row, indices[1], CombinedColumnNames[1]),
                ParseLevel(csv, row, indices[2], CombinedColumnNames[2]),
                ParseLevel(csv, row, indices[3], CombinedColumnNames[3]),
                ParseLevel(csv, row, indices[4], CombinedColumnNames[4])));
        }

        DatasetLoaderLog.Loaded(logger ?? NullLogger.Instance, sourceName, records.Count);
        return new EpitomeDataset(records, 0);
    }

    private static List<MechanismRow> ReadMechanism(TextReader reader, string sourceName)
    {
        var csv = new CsvReader(reader, sourceName);
        CsvHeader header = CsvHeader.Read(csv, MechanismColumnNames);
        int seekerIdIndex = header.IndexOf("sp_id");
        int responseIdIndex = header.IndexOf("rp_id");
        int seekerPostIndex = header.IndexOf("seeker_post");
        int responsePostIndex = header.IndexOf("response_post");
        int levelIndex = header.IndexOf("level");

        var rows = new List<MechanismRow>();
        var occurrences = new Dictionary<(string, string), int>();
        for (IReadOnlyList<string>? row = csv.ReadRow(); row is not null; row = csv.ReadRow())
        {
            (string, string) pair = (row[seekerIdIndex].Trim(), row[responseIdIndex].Trim());
            occurrences.TryGetValue(pair, out int occurrence);
            occurrences[pair] = occurrence + 1;
            rows.Add(new MechanismRow(
                new RowKey(pair.Item1, pair.Item2, occurrence),
                ReadText(csv, row, seekerPostIndex, "seeker_post"),
                ReadText(csv, row, responsePostIndex, "response_post"),
                ParseLevel(csv, row, levelIndex, "level")));
        }

        return rows;
    }

    private static EpitomeDataset Join(
        List<MechanismRow> emotionalReactions,
        List<MechanismRow> interpretations,
        List<MechanismRow> explorations,
        string sourceName,
        ILogger? logger)
    {
        Dictionary<RowKey, int> interpretationLevels = IndexLevels(interpretations);
        Dictionary<RowKey, int> explorationLevels = IndexLevels(explorations);

        var records = new List<EmpathyRecord>(emotionalReactions.Count);
        foreach (MechanismRow row in emotionalReactions)
        {
            if (interpretationLevels.TryGetValue(row.Key, out int interpretation)
                && explorationLevels.TryGetValue(row.Key, out int exploration))
            {
                records.Add(new EmpathyRecord(
                    row.SeekerPost, row.ResponsePost, row.Level, interpretation, exploration));
            }
        }

        // Every joined record uses one row of each file, and every other row is unmatched.
        int totalRows = emotionalReactions.Count + interpretations.Count + explorations.Count;
        int unmatched = totalRows - (3 * records.Count);
        logger ??= NullLogger.Instance;
        DatasetLoaderLog.Loaded(logger, sourceName, records.Count);
        if (unmatched > 0)
        {
            DatasetLoaderLog.EpitomeUnmatched(logger, sourceName, unmatched);
        }

        return new EpitomeDataset(records, unmatched);
    }

    private static Dictionary<RowKey, int> IndexLevels(List<MechanismRow> rows)
    {
        var levels = new Dictionary<RowKey, int>(rows.Count);
        foreach (MechanismRow row in rows)
        {
            levels.Add(row.Key, row.Level);
        }

        return levels;
    }

    private static string ReadText(CsvReader csv, IReadOnlyList<string> row, int index, string columnName)
    {
        string text = row[index].Trim();
        if (text.Length == 0)
        {
            throw csv.CreateCellError(
                index,
                $"The {columnName} cell is empty, so the record would have no text to train or score on. "
                + "Fill in the text or delete the row.");
        }

        return text;
    }

    private static int ParseLevel(CsvReader csv, IReadOnlyList<string> row, int index, string columnName)
    {
        string cell = row[index].Trim();
        if (int.TryParse(cell, NumberStyles.None, CultureInfo.InvariantCulture, out int level)
            && level <= EmpathyRecord.MaxLevel)
        {
            return level;
        }

        throw csv.CreateCellError(
            index,
            $"The {columnName} cell is '{cell}' but must be an EPITOME level: 0, 1 or 2. "
            + "Correct the value or remove the row.");
    }

    /// <summary>A (sp_id, rp_id) pair and how many earlier rows of the same file had it.</summary>
    private readonly record struct RowKey(string SeekerId, string ResponseId, int Occurrence);

    private readonly record struct MechanismRow(RowKey Key, string SeekerPost, string ResponsePost, int Level);
}
