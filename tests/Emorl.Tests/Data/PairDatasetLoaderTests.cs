using System;
using System.IO;
using System.Linq;
using System.Text;
using Emorl.Data;
using Xunit.Abstractions;

namespace Emorl.Tests.Data;

public class PairDatasetLoaderTests
{
    private const string Header = "prompt,hq1,hq2,mq1,lq1,lq2,lq3,lq4,lq5\n";

    private readonly ITestOutputHelper _output;

    public PairDatasetLoaderTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void RowBecomesRecordWithThreeLevels()
    {
        string csv = Header + "p1,h1,h2,m1,l1,l2,l3,l4,l5\n";

        PairDataset dataset = PairDatasetLoader.Load(new StringReader(csv));

        PairRecord record = Assert.Single(dataset.Records);
        Assert.Equal("p1", record.Prompt);
        Assert.Equal(new[] { "h1", "h2" }, record.HighQuality);
        Assert.Equal(new[] { "m1" }, record.MediumQuality);
        Assert.Equal(new[] { "l1", "l2", "l3", "l4", "l5" }, record.LowQuality);
    }

    [Fact]
    public void SemicolonSeparatedFileIsNamed()
    {
        string csv = Header.Replace(',', ';') + "p1;h1;h2;m1;l1;l2;l3;l4;l5\n";

        var error = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(new StringReader(csv), "semicolons.csv"));

        Assert.Contains("seems to separate cells with ';'; save it as comma-separated values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongHeaderIsCutInTheMessage()
    {
        string csv = new string('x', 100_000) + "\np1\n";

        var error = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(new StringReader(csv), "binary.csv"));

        Assert.Contains("'" + new string('x', 200) + "…'", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 1_000, $"the message has {error.Message.Length} characters");
    }

    [Fact]
    public void HeaderRowIsNotData()
    {
        string csv = Header + "p1,h1,h2,m1,l1,l2,l3,l4,l5\np2,h1,h2,m1,l1,l2,l3,l4,l5\n";

        PairDataset dataset = PairDatasetLoader.Load(new StringReader(csv));

        Assert.Equal(new[] { "p1", "p2" }, dataset.Records.Select(record => record.Prompt));
    }

    [Fact]
    public void ColumnsMayComeInAnyOrder()
    {
        string csv = "lq5,lq4,lq3,lq2,lq1,mq1,hq2,hq1,prompt\nl5,l4,l3,l2,l1,m1,h2,h1,p1\n";

        PairRecord record = Assert.Single(PairDatasetLoader.Load(new StringReader(csv)).Records);

        Assert.Equal("p1", record.Prompt);
        Assert.Equal(new[] { "h1", "h2" }, record.HighQuality);
        Assert.Equal("l1", record.LowQuality[0]);
    }

    [Fact]
    public void CellsTrimmedInnerBreaksKept()
    {
        string csv = Header + "\"  p1 \",\"h1\nstill h1\n\",h2,m1,l1,l2,l3,l4,l5\n";

        PairRecord record = Assert.Single(PairDatasetLoader.Load(new StringReader(csv)).Records);

        Assert.Equal("p1", record.Prompt);
        Assert.Equal("h1\nstill h1", record.HighQuality[0]);
    }

    [Fact]
    public void TypographicQuotesAreKeptByDefault()
    {
        string csv = Header + "I don\u2019t know,\u201CYou\u201D feel,h2,m1,l1,l2,l3,l4,l5\n";

        PairRecord record = Assert.Single(PairDatasetLoader.Load(new StringReader(csv)).Records);

        Assert.Equal("I don\u2019t know", record.Prompt);
        Assert.Equal("\u201CYou\u201D feel", record.HighQuality[0]);
    }

    [Fact]
    public void EmptyResponseCellsAreSkippedAndCounted()
    {
        string csv = Header + "p1,h1, ,m1,l1,,l3,l4,l5\n";

        PairDataset dataset = PairDatasetLoader.Load(new StringReader(csv));

        PairRecord record = Assert.Single(dataset.Records);
        Assert.Equal(new[] { "h1" }, record.HighQuality);
        Assert.Equal(new[] { "l1", "l3", "l4", "l5" }, record.LowQuality);
        Assert.Equal(2, dataset.EmptyResponseCount);
    }

    [Fact]
    public void DuplicatePromptsKeepFirstAndAreCounted()
    {
        string csv = Header
            + "p1,first,h2,m1,l1,l2,l3,l4,l5\n"
            + "p2,h1,h2,m1,l1,l2,l3,l4,l5\n"
            + " p1 ,second,h2,m1,l1,l2,l3,l4,l5\n"
            + "p1,third,h2,m1,l1,l2,l3,l4,l5\n";

        PairDataset dataset = PairDatasetLoader.Load(new StringReader(csv));

        Assert.Equal(2, dataset.Records.Count);
        Assert.Equal("first", dataset.Records[0].HighQuality[0]);
        Assert.Equal(2, dataset.DuplicatePromptCount);
    }

    [Fact]
    public void BlankRowsAreSkipped()
    {
        string csv = Header + ",,,,,,,,\np1,h1,h2,m1,l1,l2,l3,l4,l5\n";

        PairDataset dataset = PairDatasetLoader.Load(new StringReader(csv));

        Assert.Single(dataset.Records);
    }

    [Fact]
    public void EmptyPromptWithResponsesIsRejected()
    {
        string csv = Header + "p1,h1,h2,m1,l1,l2,l3,l4,l5\n ,h1,h2,m1,l1,l2,l3,l4,l5\n";

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(
            () => PairDatasetLoader.Load(new StringReader(csv), "pair.csv"));

        Assert.Equal(3, error.LineNumber);
        Assert.Equal(1, error.ColumnNumber);
    }

    [Fact]
    public void MissingHeaderColumnsAreListedTogether()
    {
        string csv = "prompt,hq1,mq1,lq1,lq2,lq3,lq4\np1,h1,m1,l1,l2,l3,l4\n";

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(
            () => PairDatasetLoader.Load(new StringReader(csv), "pair.csv"));

        Assert.Equal(1, error.LineNumber);
        Assert.Contains("hq2, lq5", error.Message);
    }

    [Fact]
    public void FileWithoutHeaderIsRejected()
    {
        string csv = "p1,h1,h2,m1,l1,l2,l3,l4,l5\n";

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(
            () => PairDatasetLoader.Load(new StringReader(csv), "pair.csv"));

        Assert.Contains("must be a header", error.Message);
    }

    [Fact]
    public void WrongColumnCountNamesLine()
    {
        string csv = Header + "p1,h1,h2,m1,l1,l2,l3,l4,l5\np2,h1,h2,m1,l1,l2,l3,l4\n";

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(
            () => PairDatasetLoader.Load(new StringReader(csv), "pair.csv"));

        Assert.Equal("pair.csv", error.SourceName);
        Assert.Equal(3, error.LineNumber);
    }

    [Fact]
    public void StreamWithByteOrderMarkAndCrlfLoads()
    {
        string csv = (Header + "p1,h1,h2,m1,l1,l2,l3,l4,l5\n").Replace("\n", "\r\n", System.StringComparison.Ordinal);
        byte[] bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(csv)).ToArray();
        using var stream = new MemoryStream(bytes);

        PairDataset dataset = PairDatasetLoader.Load(stream, "embedded");

        Assert.Equal("p1", Assert.Single(dataset.Records).Prompt);
        Assert.True(stream.CanRead);
    }

    [Fact]
    public void PublishedFileHas318Prompts()
    {
        string? path = SharedData.FindFile("pair/pair_data.csv");
        if (path is null)
        {
            _output.WriteLine(SharedData.SkipMessage("pair/pair_data.csv"));
            return;
        }

        PairDataset dataset = PairDatasetLoader.Load(path);

        Assert.Equal(318, dataset.Records.Count);
        Assert.Equal(0, dataset.DuplicatePromptCount);
        Assert.Equal(318 * 8, dataset.Records.Sum(record => record.GetGradedResponses().Count));
        Assert.Contains('\u2019', dataset.Records[0].Prompt);
    }
}
