using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Data;

/// <summary>
/// The header row of a CSV file: the index of each required column, found by name.
/// </summary>
/// <remarks>
/// Names match after trimming, ignoring ASCII case. Columns may come in any order, and columns
/// that are not required are ignored.
/// </remarks>
internal sealed class CsvHeader
{
    private const int MaxEchoedLength = 200;

    private static readonly char[] s_otherSeparators = [';', '\t', '|'];

    private readonly Dictionary<string, int> _indexByName;

    private CsvHeader(Dictionary<string, int> indexByName)
    {
        _indexByName = indexByName;
    }

    /// <summary>Reads the first row as a header and checks that it names every required column.</summary>
    /// <param name="reader">A reader that has not read any row yet.</param>
    /// <param name="requiredColumns">The column names the loader needs.</param>
    /// <returns>The header.</returns>
    /// <exception cref="DatasetFormatException">
    /// The input is empty, or the header lacks a required column or names one twice. The message
    /// lists every missing column at once.
    /// </exception>
    public static CsvHeader Read(CsvReader reader, IReadOnlyList<string> requiredColumns)
    {
        string expected = string.Join(',', requiredColumns);
        IReadOnlyList<string>? row = reader.ReadRow();
        if (row is null)
        {
            throw new DatasetFormatException(
                reader.SourceName,
                1,
                1,
                $"The input is empty. Expected a header row naming the columns {expected}, then one row per record.");
        }

        var indexByName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < row.Count; i++)
        {
            string name = row[i].Trim();
            if (!indexByName.TryAdd(name, i) && requiredColumns.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw reader.CreateCellError(
                    i,
                    $"The header names the column '{name}' twice. Rename or remove one of them.");
            }
        }

        string[] missing = requiredColumns.Where(name => !indexByName.ContainsKey(name)).ToArray();
        if (missing.Length > 0)
        {
            throw new DatasetFormatException(
                reader.SourceName,
                reader.RowLineNumber,
                1,
                $"The header row lacks the column(s) {string.Join(", ", missing)}. It reads "
                + $"'{Shorten(string.Join(',', row))}'. The first row must be a header naming at least {expected}."
                + SeparatorHint(row));
        }

        return new CsvHeader(indexByName);
    }

    /// <summary>Cuts a header echoed in a message, because a binary or mis-split file can make it megabytes long.</summary>
    private static string Shorten(string header) => header.Length <= MaxEchoedLength ? header : header[..MaxEchoedLength] + "…";

    /// <summary>Names the likely cause when the header is one cell that splits on another separator.</summary>
    private static string SeparatorHint(IReadOnlyList<string> row)
    {
        if (row.Count != 1)
        {
            return "";
        }

        foreach (char separator in s_otherSeparators)
        {
            if (row[0].Contains(separator, StringComparison.Ordinal))
            {
                string name = separator == '\t' ? "tabs" : $"'{separator}'";
                return $" The header has no commas but contains {name}, so the file seems to separate cells with {name}; "
                    + "save it as comma-separated values.";
            }
        }

        return "";
    }

    /// <summary>Gets the 0-based index of a column that <see cref="Read"/> checked for.</summary>
    /// <param name="name">A required column name.</param>
    /// <returns>The column's index in every row.</returns>
    public int IndexOf(string name) => _indexByName[name];
}
