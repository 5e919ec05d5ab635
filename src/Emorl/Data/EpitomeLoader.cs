using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

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
/// dropped and counted in <see cref="EpitomeDataset.UnmatchedRowCount"/>. Texts are trimmed and
/// taken from the emotional-reactions file.
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
    public static EpitomeDataset LoadFolder(string folder)
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

        using StreamReader emotionalReactions = CsvReader.OpenFile(paths[0]);
        using StreamReader interpretations = CsvReader.OpenFile(paths[1]);
        using StreamReader explorations = CsvReader.OpenFile(paths[2]);
        return Join(
            ReadMechanism(emotionalReactions, paths[0]),
            ReadMechanism(interpretations, paths[1]),
            ReadMechanism(explorations, paths[2]));
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
        TextReader explorations)
    {
        ArgumentNullException.ThrowIfNull(emotionalReactions);
        ArgumentNullException.ThrowIfNull(interpretations);
        ArgumentNullException.ThrowIfNull(explorations);

        return Join(
            ReadMechanism(emotionalReactions, EmotionalReactionsFileName),
            ReadMechanism(interpretations, InterpretationsFileName),
            ReadMechanism(explorations, ExplorationsFileName));
    }

    /// <summary>Reads a combined file with all three levels in one row.</summary>
    /// <param name="path">The path of a UTF-8 CSV file with the columns in <see cref="CombinedColumnNames"/>.</param>
    /// <returns>The records, in file order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid CSV, lacks a column or has an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        using StreamReader reader = CsvReader.OpenFile(path);
        return LoadCombined(reader, path);
    }

    /// <summary>Reads a combined file from a stream, such as an embedded resource.</summary>
    /// <param name="stream">UTF-8 CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages.</param>
    /// <returns>The records, in input order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column or has an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(Stream stream, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        using StreamReader reader = CsvReader.OpenStream(stream);
        return LoadCombined(reader, sourceName);
    }

    /// <summary>Reads a combined file from a text reader.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages.</param>
    /// <returns>The records, in input order, with an unmatched count of 0.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column or has an invalid level.
    /// </exception>
    public static EpitomeDataset LoadCombined(TextReader reader, string sourceName = "text")
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
                row[indices[0]].Trim(),
                row[indices[1]].Trim(),
                ParseLevel(csv, row, indices[2], CombinedColumnNames[2]),
                ParseLevel(csv, row, indices[3], CombinedColumnNames[3]),
                ParseLevel(csv, row, indices[4], CombinedColumnNames[4])));
        }

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
                row[seekerPostIndex].Trim(),
                row[responsePostIndex].Trim(),
                ParseLevel(csv, row, levelIndex, "level")));
        }

        return rows;
    }

    private static EpitomeDataset Join(
        List<MechanismRow> emotionalReactions,
        List<MechanismRow> interpretations,
        List<MechanismRow> explorations)
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
        return new EpitomeDataset(records, totalRows - (3 * records.Count));
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
