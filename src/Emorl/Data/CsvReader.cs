using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
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

    private static readonly Encoding s_windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;

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

    /// <summary>Opens a CSV file for reading.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="encoding">
    /// The file's encoding, or <see langword="null"/> for UTF-8, in which an invalid byte is an error
    /// and a UTF-16 or UTF-32 byte-order mark switches to that encoding.
    /// </param>
    /// <returns>A reader that the caller disposes.</returns>
    public static TextReader OpenFile(string path, Encoding? encoding = null) =>
        Open(File.OpenRead(path), leaveOpen: false, encoding);

    /// <summary>Wraps a CSV stream for reading; see <see cref="OpenFile"/> for the encodings.</summary>
    /// <param name="stream">The stream, which stays open when the returned reader is disposed.</param>
    /// <param name="encoding">The stream's encoding, or <see langword="null"/> for UTF-8 as in <see cref="OpenFile"/>.</param>
    /// <returns>A reader that the caller disposes.</returns>
    public static TextReader OpenStream(Stream stream, Encoding? encoding = null) =>
        Open(stream, leaveOpen: true, encoding);

    private static TextReader Open(Stream stream, bool leaveOpen, Encoding? encoding)
    {
        if (encoding is not null && encoding.CodePage != Encoding.UTF8.CodePage)
        {
            return new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false, bufferSize: -1, leaveOpen);
        }

        // NOTE: only UTF-8 is decoded strictly. Text that a UTF-16 or UTF-32 byte-order mark announces
        // goes through StreamReader, which replaces invalid sequences with U+FFFD.
        if (HasUtf16Or32ByteOrderMark(stream))
        {
            return new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: -1, leaveOpen);
        }

        return new StrictUtf8Reader(stream, leaveOpen);
    }

    /// <summary>Looks for FF FE or FE FF (UTF-16, or UTF-32 little-endian) or 00 00 FE FF at the start of a seekable stream.</summary>
    private static bool HasUtf16Or32ByteOrderMark(Stream stream)
    {
        if (!stream.CanSeek)
        {
            return false;
        }

        long start = stream.Position;
        Span<byte> head = stackalloc byte[4];
        int count = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        return (count >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)))
            || (count == 4 && head[0] == 0 && head[1] == 0 && head[2] == 0xFE && head[3] == 0xFF);
    }

    /// <summary>Gets the file path or name used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>Gets the 1-based line where the last row read starts.</summary>
    public int RowLineNumber { get; private set; }

    /// <summary>Reads the next row.</summary>
    /// <returns>The row's cells, valid until the next call; <see langword="null"/> at the end.</returns>
    /// <exception cref="DatasetFormatException">The text is not valid CSV, or not valid in its encoding.</exception>
    public IReadOnlyList<string>? ReadRow()
    {
        try
        {
            return ReadRowCore();
        }
        catch (InvalidUtf8Exception error)
        {
            throw CreateEncodingError(error);
        }
        catch (DecoderFallbackException error)
        {
            throw new DatasetFormatException(
                SourceName,
                _line,
                _column,
                $"The text at or after this point is not valid in its encoding ({error.Message}). "
                + "Re-save the file as UTF-8, or pass the encoding it was written in to the loader.",
                error);
        }
    }

    private List<string>? ReadRowCore()
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

    private DatasetFormatException CreateEncodingError(InvalidUtf8Exception error)
    {
        byte first = error.Bytes.Length > 0 ? error.Bytes[0] : (byte)0;
        string bytes = string.Join(' ', error.Bytes.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture)));
        string windows1252 = first >= 0x80
            ? $" In Windows-1252, the usual encoding of CSV files that Excel saves on Windows, byte 0x{first:X2} is "
              + $"'{s_windows1252.GetString([first])}'."
            : "";
        return new DatasetFormatException(
            SourceName,
            _line,
            _column,
            string.Create(
                CultureInfo.InvariantCulture,
                $"Byte 0x{first:X2} at byte offset {error.ByteOffset} (bytes {bytes}) is not valid UTF-8, so the file is "
                + $"probably in another encoding.{windows1252} Re-save the file as UTF-8 (for example "
                + $"'iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv', or 'CSV UTF-8' in Excel's Save As), or pass the "
                + $"encoding to the loader, such as CodePagesEncodingProvider.Instance.GetEncoding(1252)."),
            error);
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
