using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
/// <see cref="PairRecord.WithAsciiQuotes"/> replaces them. Empty response cells are skipped,
/// rows whose cells are all empty are skipped, and a row whose prompt repeats an earlier prompt is
/// dropped, so the first row for a prompt wins. <see cref="PairDataset"/> counts each of these, and
/// the overloads that take a logger log the counts as one warning.
/// </para>
/// <para>
/// Bytes that are not valid UTF-8, such as those of a file saved as Windows-1252, are an error
/// naming the byte, its line and column, unless the overloads that take an encoding are given the
/// file's encoding.
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

    /// <summary>Reads a PAIR CSV file in UTF-8.</summary>
    /// <param name="path">The path of a UTF-8 CSV file, with or without a byte-order mark.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid UTF-8 or CSV, lacks a header column, or has a row with responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(string path) => Load(path, null, null);

    /// <summary>Reads a PAIR CSV file in a given encoding and logs what was left out.</summary>
    /// <param name="path">The path of a CSV file.</param>
    /// <param name="encoding">The file's encoding, or <see langword="null"/> for UTF-8.</param>
    /// <param name="logger">Receives the counts of rows and cells left out, or <see langword="null"/>.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid text in its encoding or not valid CSV, lacks a header column, or has a row with
    /// responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(string path, Encoding? encoding, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        using TextReader reader = CsvReader.OpenFile(path, encoding);
        return Load(reader, path, logger);
    }

    /// <summary>Reads PAIR CSV in UTF-8 from a stream, such as an embedded resource.</summary>
    /// <param name="stream">UTF-8 CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid UTF-8 or CSV, lacks a header column, or has a row with responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(Stream stream, string sourceName = "stream") => Load(stream, sourceName, null, null);

    /// <summary>Reads PAIR CSV from a stream in a given encoding and logs what was left out.</summary>
    /// <param name="stream">CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages.</param>
    /// <param name="encoding">The stream's encoding, or <see langword="null"/> for UTF-8.</param>
    /// <param name="logger">Receives the counts of rows and cells left out, or <see langword="null"/>.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="sourceName"/> is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid in its encoding or not valid CSV, lacks a header column, or has a row with responses
    /// but an empty prompt.
    /// </exception>
    public static PairDataset Load(Stream stream, string sourceName, Encoding? encoding, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        using TextReader reader = CsvReader.OpenStream(stream, encoding);
        return Load(reader, sourceName, logger);
    }

    /// <summary>Reads PAIR CSV from a text reader.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a header column, or has a row with responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(TextReader reader, string sourceName = "text") => Load(reader, sourceName, null);

    /// <summary>Reads PAIR CSV from a text reader and logs what was left out.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages and the log.</param>
    /// <param name="logger">Receives the counts of rows and cells left out, or <see langword="null"/>.</param>
    /// <returns>The records and the counts of what was left out.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> or <paramref name="sourceName"/> is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a header column, or has a row with responses but an empty prompt.
    /// </exception>
    public static PairDataset Load(TextReader reader, string sourceName, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);

        logger ??= NullLogger.Instance;
        var csv = new CsvReader(reader, sourceName);
        CsvHeader header = CsvHeader.Read(csv, ColumnNames);
        int promptIndex = header.IndexOf("prompt");
        int[] highIndices = Array.ConvertAll(s_highQualityColumns, header.IndexOf);
        int[] mediumIndices = Array.ConvertAll(s_mediumQualityColumns, header.IndexOf);
        int[] lowIndices = Array.ConvertAll(s_lowQualityColumns, header.IndexOf);

        var records = new List<PairRecord>();
        var seenPrompts = new HashSet<string>(StringComparer.Ordinal);
        int duplicates = 0;
        int blankRows = 0;
        int emptyResponses = 0;
        for (IReadOnlyList<string>? row = csv.ReadRow(); row is not null; row = csv.ReadRow())
        {
            if (IsBlank(row))
            {
                blankRows++;
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

        DatasetLoaderLog.Loaded(logger, sourceName, records.Count);
        if (duplicates + blankRows + emptyResponses > 0)
        {
            DatasetLoaderLog.PairLeftOut(logger, sourceName, duplicates, blankRows, emptyResponses);
        }

        return new PairDataset(records, duplicates, emptyResponses) { BlankRowCount = blankRows };
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
