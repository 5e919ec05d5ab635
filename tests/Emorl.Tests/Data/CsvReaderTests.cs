using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Emorl.Data;

namespace Emorl.Tests.Data;

public class CsvReaderTests
{
    [Fact]
    public void HeaderIsReturnedAsFirstRow()
    {
        List<string[]> rows = ReadAll("a,b,c\n1,2,3\n");

        Assert.Equal(2, rows.Count);
        Assert.Equal(new[] { "a", "b", "c" }, rows[0]);
        Assert.Equal(new[] { "1", "2", "3" }, rows[1]);
    }

    [Fact]
    public void QuotedCellSpansLines()
    {
        List<string[]> rows = ReadAll("a,b\n\"first line\nsecond line\",x\nlast,y\n");

        Assert.Equal(3, rows.Count);
        Assert.Equal("first line\nsecond line", rows[1][0]);
        Assert.Equal("x", rows[1][1]);
        Assert.Equal(new[] { "last", "y" }, rows[2]);
    }

    [Fact]
    public void QuotedCellKeepsCrlfInside()
    {
        List<string[]> rows = ReadAll("a,b\r\n\"one\r\ntwo\",x\r\n");

        Assert.Equal("one\r\ntwo", rows[1][0]);
    }

    [Fact]
    public void DoubledQuotesReadAsOneQuote()
    {
        List<string[]> rows = ReadAll("a,b\n\"She said \"\"no\"\", twice\",\"\"\"\"\n");

        Assert.Equal("She said \"no\", twice", rows[1][0]);
        Assert.Equal("\"", rows[1][1]);
    }

    [Fact]
    public void TypographicQuotesAreKeptExactly()
    {
        const string text = "I don\u2019t know \u201Cwhy\u201D";

        List<string[]> rows = ReadAll($"a,b\n{text},\"\u2018{text}\u2019\"\n");

        Assert.Equal(text, rows[1][0]);
        Assert.Equal($"\u2018{text}\u2019", rows[1][1]);
    }

    [Fact]
    public void ByteOrderMarkInStreamIsSkipped()
    {
        byte[] bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("prompt,x\n1,2\n")).ToArray();
        using var stream = new MemoryStream(bytes);
        using TextReader text = CsvReader.OpenStream(stream);
        var reader = new CsvReader(text, "bom.csv");

        IReadOnlyList<string>? header = reader.ReadRow();

        Assert.NotNull(header);
        Assert.Equal("prompt", header[0]);
    }

    [Fact]
    public void ByteOrderMarkInTextIsSkipped()
    {
        List<string[]> rows = ReadAll("\uFEFFprompt,x\n1,2\n");

        Assert.Equal("prompt", rows[0][0]);
    }

    [Fact]
    public void CrlfAndLfEndRowsAlike()
    {
        List<string[]> crlf = ReadAll("a,b\r\n1,2\r\n3,4\r\n");
        List<string[]> lf = ReadAll("a,b\n1,2\n3,4\n");

        Assert.Equal(lf, crlf);
        Assert.Equal(3, crlf.Count);
    }

    [Fact]
    public void LastRowMayLackLineBreak()
    {
        List<string[]> rows = ReadAll("a,b\n1,\"2\"");

        Assert.Equal(new[] { "1", "2" }, rows[1]);
    }

    [Fact]
    public void EmptyLinesAreSkipped()
    {
        List<string[]> rows = ReadAll("a,b\n\n1,2\r\n\r\n3,4\n\n");

        Assert.Equal(3, rows.Count);
    }

    [Fact]
    public void EmptyCellsAreKept()
    {
        List<string[]> rows = ReadAll("a,b,c\n,,\n");

        Assert.Equal(new[] { "", "", "" }, rows[1]);
    }

    [Fact]
    public void EmptyInputHasNoRows()
    {
        List<string[]> rows = ReadAll("");

        Assert.Empty(rows);
    }

    [Fact]
    public void UnterminatedQuotePointsAtOpeningQuote()
    {
        var reader = new CsvReader(new StringReader("a,b\n1,2\nx,\"never closed\nmore text\n"), "broken.csv");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => ReadAll(reader));

        Assert.Equal("broken.csv", error.SourceName);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(3, error.ColumnNumber);
        Assert.Contains("broken.csv, line 3, column 3", error.Message);
        Assert.Contains("closing double quote", error.Message);
    }

    [Fact]
    public void TooManyCellsPointsAtFirstExtra()
    {
        var reader = new CsvReader(new StringReader("a,b\n1,2\n3,4,5\n"), "wide.csv");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => ReadAll(reader));

        Assert.Equal(3, error.LineNumber);
        Assert.Equal(5, error.ColumnNumber);
        Assert.Contains("has 3 cells but the header has 2", error.Message);
    }

    [Fact]
    public void TooFewCellsNamesLineOfRowStart()
    {
        var reader = new CsvReader(new StringReader("a,b,c\n\"multi\nline\",2,3\n4,5\n"), "narrow.csv");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => ReadAll(reader));

        Assert.Equal(4, error.LineNumber);
        Assert.Contains("has 2 cells but the header has 3", error.Message);
        Assert.Contains("starts on line 4", error.Message);
    }

    [Fact]
    public void TextAfterClosingQuoteIsRejected()
    {
        var reader = new CsvReader(new StringReader("a,b\n\"quoted\"tail,2\n"), "tail.csv");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => ReadAll(reader));

        Assert.Equal(2, error.LineNumber);
        Assert.Equal(9, error.ColumnNumber);
    }

    [Fact]
    public void QuoteInsideUnquotedCellIsRejected()
    {
        var reader = new CsvReader(new StringReader("a,b\n1,5\" tall\n"), "bare.csv");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => ReadAll(reader));

        Assert.Equal(2, error.LineNumber);
        Assert.Equal(4, error.ColumnNumber);
    }

    [Fact]
    public void RowLineNumberIsLineWhereRowStarts()
    {
        var reader = new CsvReader(new StringReader("a,b\n\"x\ny\",1\nz,2\n"), "lines.csv");

        reader.ReadRow();
        reader.ReadRow();
        int second = reader.RowLineNumber;
        reader.ReadRow();
        int third = reader.RowLineNumber;

        Assert.Equal(2, second);
        Assert.Equal(4, third);
    }

    private static List<string[]> ReadAll(string text) => ReadAll(new CsvReader(new StringReader(text), "test.csv"));

    private static List<string[]> ReadAll(CsvReader reader)
    {
        var rows = new List<string[]>();
        for (IReadOnlyList<string>? row = reader.ReadRow(); row is not null; row = reader.ReadRow())
        {
            rows.Add(row.ToArray());
        }

        return rows;
    }
}
