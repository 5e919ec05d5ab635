using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Emorl.Data;

/// <summary>
/// Reads rows of comma-separated values as RFC 4180 defines them, with the positions needed for
/// error messages.
/// </summary>
/// <remarks>
/// Cells are separated by commas and rows end with CRLF, LF or a lone CR. Cells enclosed in double
/// quotes may contain commas, line breaks and doubled quotes (<c>""</c> reads as one quote). A
/// leading UTF-8 byte-order mark (U+FEFF) is skipped, and so are empty lines between rows. Text
/// inside quoted cells is kept exactly, line breaks included. Every row must have as many cells as
/// the first row (the header). Rejected input: a quote inside an unquoted cell, text after a
/// closing quote, a quoted cell that never closes, and a row with a different cell count.
/// Not thread-safe.
/// </remarks>
internal sealed class CsvReader
{
    private const char Quote = '"';
    private const char Separator = ',';
    private const char ByteOrderMark = '\uFEFF';

    private readonly TextReader _reader;
    private readonly StringBuilder _cell = new();
    private readonly List<string> _cells = [];
    private readonly List<(int Line, int Column)> _cellStarts = [];
    private int _line = 1;
    private int _column = 1;
    private bool _started;
    private int _expectedCellCount = -1;

    /// <summary>Initializes a reader over text.</summary>
    /// <param name="reader">The text, which the caller keeps and disposes.</param>
    /// <param name="sourceName">The file path or a name for the text, used in error messages.</param>
    public CsvReader(TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);

        _reader = reader;
        SourceName = sourceName;
    }

    /// <summary>Opens a UTF-8 file for reading, or another Unicode encoding that a byte-order mark names.</summary>
    /// <param name="path">The file path.</param>
    /// <returns>A reader that the caller disposes.</returns>
    public static StreamReader OpenFile(string path) =>
        new(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);

    /// <summary>Wraps a UTF-8 stream for reading, or another Unicode encoding that a byte-order mark names.</summary>
    /// <param name="stream">The stream, which stays open when the returned reader is disposed.</param>
    /// <returns>A reader that the caller disposes.</returns>
    public static StreamReader OpenStream(Stream stream) =>
        new(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: -1, leaveOpen: true);

    /// <summary>Gets the file path or name used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>Gets the 1-based line where the last row read starts.</summary>
    public int RowLineNumber { get; private set; }

    /// <summary>Reads the next row.</summary>
    /// <returns>The row's cells, valid until the next call; <see langword="null"/> at the end.</returns>
    /// <exception cref="DatasetFormatException">The text is not valid CSV.</exception>
    public IReadOnlyList<string>? ReadRow()
    {
        SkipByteOrderMark();
        SkipEmptyLines();
        if (_reader.Peek() < 0)
        {
            return null;
        }

        _cells.Clear();
        _cellStarts.Clear();
        RowLineNumber = _line;
        bool rowEnded = false;
        while (!rowEnded)
        {
            _cellStarts.Add((_line, _column));
            _cells.Add(_reader.Peek() == Quote ? ReadQuotedCell() : ReadUnquotedCell());
            rowEnded = ConsumeCellEnd();
        }

        CheckCellCount();
        return _cells;
    }

    /// <summary>Builds an error that points at one cell of the last row read.</summary>
    /// <param name="cellIndex">The 0-based cell index in the last row.</param>
    /// <param name="problem">What is wrong and how to fix it.</param>
    /// <returns>The exception, for the caller to throw.</returns>
    public DatasetFormatException CreateCellError(int cellIndex, string problem)
    {
        (int line, int column) = _cellStarts[cellIndex];
        return new DatasetFormatException(SourceName, line, column, problem);
    }

    private void SkipByteOrderMark()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        if (_reader.Peek() == ByteOrderMark)
        {
            _reader.Read();
        }
    }

    private void SkipEmptyLines()
    {
        int next = _reader.Peek();
        while (next is '\r' or '\n')
        {
            ReadLineBreak();
            next = _reader.Peek();
        }
    }

    private string ReadUnquotedCell()
    {
        _cell.Clear();
        int next = _reader.Peek();
        while (next >= 0 && next is not (Separator or '\r' or '\n'))
        {
            if (next == Quote)
            {
                throw new DatasetFormatException(
                    SourceName,
                    _line,
                    _column,
                    "A double quote appears inside a cell that does not start with one. "
                    + "Enclose the whole cell in double quotes and write each quote inside it as \"\".");
            }

            _cell.Append((char)_reader.Read());
            _column++;
            next = _reader.Peek();
        }

        return _cell.ToString();
    }

    private string ReadQuotedCell()
    {
        (int startLine, int startColumn) = (_line, _column);
        _reader.Read();
        _column++;
        _cell.Clear();
        while (true)
        {
            int next = _reader.Peek();
            if (next < 0)
            {
                throw new DatasetFormatException(
                    SourceName,
                    startLine,
                    startColumn,
                    "The quoted cell that starts here has no closing double quote before the end of the input. "
                    + "Add the closing quote, and write each quote inside the cell as \"\".");
            }

            if (next is '\r' or '\n')
            {
                _cell.Append(ReadLineBreak());
                continue;
            }

            _reader.Read();
            _column++;
            if (next != Quote)
            {
                _cell.Append((char)next);
            }
            else if (_reader.Peek() == Quote)
            {
                _reader.Read();
                _column++;
                _cell.Append(Quote);
            }
            else
            {
                return _cell.ToString();
            }
        }
    }

    /// <summary>Consumes the separator or line break after a cell.</summary>
    /// <returns><see langword="true"/> when the row ended.</returns>
    private bool ConsumeCellEnd()
    {
        int next = _reader.Peek();
        if (next == Separator)
        {
            _reader.Read();
            _column++;
            return false;
        }

        if (next < 0)
        {
            return true;
        }

        if (next is '\r' or '\n')
        {
            ReadLineBreak();
            return true;
        }

        throw new DatasetFormatException(
            SourceName,
            _line,
            _column,
            $"Unexpected character '{(char)next}' after the closing double quote of a cell. "
            + "Write each quote inside a quoted cell as \"\", or put a comma after the closing quote.");
    }

    /// <summary>Consumes CRLF, LF or a lone CR and moves the position to the next line.</summary>
    /// <returns>The consumed characters, so quoted cells keep their line breaks exactly.</returns>
    private string ReadLineBreak()
    {
        int first = _reader.Read();
        _line++;
        _column = 1;
        if (first == '\r' && _reader.Peek() == '\n')
        {
            _reader.Read();
            return "\r\n";
        }

        return first == '\r' ? "\r" : "\n";
    }

    private void CheckCellCount()
    {
        if (_expectedCellCount < 0)
        {
            _expectedCellCount = _cells.Count;
            return;
        }

        if (_cells.Count > _expectedCellCount)
        {
            throw CreateCellError(
                _expectedCellCount,
                $"The row that starts on line {RowLineNumber} has {_cells.Count} cells but the header has "
                + $"{_expectedCellCount}. This is the first extra cell. Enclose cells that contain commas "
                + "in double quotes, or remove the extra cells.");
        }

        if (_cells.Count < _expectedCellCount)
        {
            throw CreateCellError(
                _cells.Count - 1,
                $"The row that starts on line {RowLineNumber} has {_cells.Count} cells but the header has "
                + $"{_expectedCellCount}. This is its last cell. Add the missing cells (empty cells still "
                + "need their commas), or check for a line break in a cell that is not quoted.");
        }
    }
}
