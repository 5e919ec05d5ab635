using System;
using System.Collections.Generic;
using System.IO;

namespace Emorl.Data;

/// <summary>
/// Reads the PAIR counselor-reflection dataset from CSV.
/// </summary>
/// <remarks>
/// <para>
/// The input is RFC 4180 CSV in UTF-8 whose first row is a header naming the columns
/// <c>prompt,hq1,hq2,mq1,lq1,lq2,lq3,lq4,lq5</c> (in any order, and other columns are ignored). The header
/// is required because the published file has one, and reading it as data would add a bogus
/// prompt named "prompt".
/// </para>
/// <para>
/// Every cell is trimmed. Typographic quotes are kept as written, and
/// <see cref="PairRecord.WithAsciiQuotes"/> replaces them. Empty response cells are skipped and
/// counted, rows whose cells are all empty are skipped, and a row whose prompt repeats an earlier
/// prompt is dropped and counted, so the first row for a prompt wins.
/// </para>
/// </remarks>
public static class PairDatasetLoader
{
    private static readonly string[] s_highQualityColumns = ["hq1", "hq2"];
    private static readonly string[] s_mediumQualityColumns = ["mq1"];
    private static readonly string[] s_lowQualityColumns = ["lq1", "lq2", "lq3", "lq4", "lq5"];

    /// <summary>Gets the column names a PAIR header must contain, in the published file's order.</summary>
    public static IReadOnlyList<string> ColumnNames { get; } =
        ["prompt", "hq1", "hq2", "mq1", "lq1", "lq2", "lq3", "lq4", "lq5"];

    /// <summary>Reads a PAIR CSV file.</summary>
    /// <param name="path">The path of a UTF-8 CSV file, with or without a byte-order mark.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid CSV, lacks a header column, or has a row with responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        using StreamReader reader = CsvReader.OpenFile(path);
        return Load(reader, path);
    }

    /// <summary>Reads PAIR CSV from a stream, such as an embedded resource.</summary>
    /// <param name="stream">UTF-8 CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a header column, or has a row with responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(Stream stream, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        using StreamReader reader = CsvReader.OpenStream(stream);
        return Load(reader, sourceName);
    }

    /// <summary>Reads PAIR CSV from a text reader.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a header column, or has a row with responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(TextReader reader, string sourceName = "text")
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);

        var csv = new CsvReader(reader, sourceName);
        CsvHeader header = CsvHeader.Read(csv, ColumnNames);
        int promptIndex = header.IndexOf("prompt");
        int[] highIndices = Array.ConvertAll(s_highQualityColumns, header.IndexOf);
        int[] mediumIndices = Array.ConvertAll(s_mediumQualityColumns, header.IndexOf);
        int[] lowIndices = Array.ConvertAll(s_lowQualityColumns, header.IndexOf);

        var records = new List<PairRecord>();
        var seenPrompts = new HashSet<string>(StringComparer.Ordinal);
        int duplicates = 0;
        int emptyResponses = 0;
        for (IReadOnlyList<string>? row = csv.ReadRow(); row is not null; row = csv.ReadRow())
        {
            if (IsBlank(row))
            {
                continue;
            }

            string prompt = row[promptIndex].Trim();
            if (prompt.Length == 0)
            {
                throw csv.CreateCellError(
                    promptIndex,
                    "The prompt cell is empty but the row has responses. "
                    + "Fill in the client statement or delete the row.");
            }

            if (!seenPrompts.Add(prompt))
            {
                duplicates++;
                continue;
            }

            records.Add(new PairRecord(
                prompt,
                ReadResponses(row, highIndices, ref emptyResponses),
                ReadResponses(row, mediumIndices, ref emptyResponses),
                ReadResponses(row, lowIndices, ref emptyResponses)));
        }

        return new PairDataset(records, duplicates, emptyResponses);
    }

    private static bool IsBlank(IReadOnlyList<string> row)
    {
        for (int i = 0; i < row.Count; i++)
        {
            if (!string.IsNullOrWhiteSpace(row[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string[] ReadResponses(IReadOnlyList<string> row, int[] indices, ref int emptyResponses)
    {
        var responses = new List<string>(indices.Length);
        foreach (int index in indices)
        {
            string text = row[index].Trim();
            if (text.Length == 0)
            {
                emptyResponses++;
            }
            else
            {
                responses.Add(text);
            }
        }

        return responses.ToArray();
    }
}
