using System;
using System.IO;
using System.Linq;
using System.Text;
using Emorl.Data;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests.Data;

/// <summary>Malformed dataset files: wrong encodings, empty cells, and rows the loaders leave out.</summary>
public sealed class DatasetInputFaultTests
{
    private const string PairHeader = "prompt,hq1,hq2,mq1,lq1,lq2,lq3,lq4,lq5\r\n";

    private static readonly Encoding s_windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;

    [Fact]
    public void Windows1252ByteIsNamedWithPositionAndFix()
    {
        byte[] bytes = s_windows1252.GetBytes(PairHeader + "I can\u2019t sleep,h1,h2,m1,l1,l2,l3,l4,l5\r\n");
        using var stream = new MemoryStream(bytes);

        var error = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(stream, "pair.csv"));

        Assert.Equal("pair.csv", error.SourceName);
        Assert.Equal(2, error.LineNumber);
        Assert.Equal(6, error.ColumnNumber);
        Assert.Contains($"Byte 0x92 at byte offset {PairHeader.Length + 5}", error.Message, StringComparison.Ordinal);
        Assert.Contains("byte 0x92 is '\u2019'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Re-save the file as UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Contains("GetEncoding(1252)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Windows1252LoadsWithExplicitEncoding()
    {
        byte[] bytes = s_windows1252.GetBytes(PairHeader + "I can\u2019t sleep,h1,h2,m1,l1,l2,l3,l4,caf\u00e9\r\n");
        using var stream = new MemoryStream(bytes);

        PairDataset dataset = PairDatasetLoader.Load(stream, "pair.csv", s_windows1252, null);

        PairRecord record = Assert.Single(dataset.Records);
        Assert.Equal("I can\u2019t sleep", record.Prompt);
        Assert.Equal("caf\u00e9", record.LowQuality[^1]);
    }

    [Fact]
    public void InvalidByteAfterManyBuffersIsLocated()
    {
        var text = new StringBuilder(PairHeader);
        for (int i = 0; i < 2000; i++)
        {
            text.Append("prompt ").Append(i).Append(" caf\u00e9,h1,h2,m1,l1,l2,l3,l4,l5\r\n");
        }

        byte[] good = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true).GetPreamble()
            .Concat(Encoding.UTF8.GetBytes(text.ToString())).ToArray();
        byte[] bytes = [.. good, .. "bad "u8.ToArray(), 0xE9, .. ",h1,h2,m1,l1,l2,l3,l4,l5\r\n"u8.ToArray()];
        using var stream = new MemoryStream(bytes);

        var error = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(stream, "big.csv"));

        Assert.True(good.Length > 32 * 1024, "the input must span several read buffers");
        Assert.Equal(2002, error.LineNumber);
        Assert.Equal(5, error.ColumnNumber);
        Assert.Contains($"byte offset {good.Length + 4}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedSequenceAtEndIsRejected()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes(PairHeader + "p,h1,h2,m1,l1,l2,l3,l4,ok"), 0xE2, 0x80];
        using var stream = new MemoryStream(bytes);

        var error = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(stream));

        Assert.Equal(2, error.LineNumber);
        Assert.Equal(26, error.ColumnNumber);
        Assert.Contains("(bytes 0xE2 0x80)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf16WithByteOrderMarkStillLoads()
    {
        byte[] bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(PairHeader + "Ich bin m\u00fcde,h1,,,,,,,\r\n")).ToArray();
        using var stream = new MemoryStream(bytes);

        PairDataset dataset = PairDatasetLoader.Load(stream);

        Assert.Equal("Ich bin m\u00fcde", Assert.Single(dataset.Records).Prompt);
    }

    [Fact]
    public void FileInWindows1252IsRejectedFromPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"emorl-cp1252-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(path, s_windows1252.GetBytes(PairHeader + "na\u00efve,h1,,,,,,,\r\n"));
        try
        {
            var error = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(path));
            PairDataset dataset = PairDatasetLoader.Load(path, s_windows1252, null);

            Assert.Equal(path, error.SourceName);
            Assert.Contains("Byte 0xEF", error.Message, StringComparison.Ordinal);
            Assert.Equal("na\u00efve", Assert.Single(dataset.Records).Prompt);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PairLeftOutRowsAreCountedInLog()
    {
        string csv = PairHeader
            + "p1,h1,,m1,l1,l2,l3,l4,l5\r\n"
            + ",,,,,,,,\r\n"
            + "p1,other,h2,m1,l1,l2,l3,l4,l5\r\n"
            + "p2,h1,h2,m1,l1,l2,l3,l4,l5\r\n";
        var logger = new RecordingLogger<PairDataset>();

        PairDataset dataset = PairDatasetLoader.Load(new StringReader(csv), "pair.csv", logger);

        Assert.Equal(2, dataset.Records.Count);
        Assert.Equal(1, dataset.BlankRowCount);
        Assert.Equal(1, dataset.DuplicatePromptCount);
        Assert.Equal(1, dataset.EmptyResponseCount);
        var warning = Assert.Single(logger.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Contains("pair.csv: left out 1 rows whose prompt repeats an earlier row's, 1 blank rows and 1 empty response cells",
            warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingAndExtraCellsNameLineAndColumn()
    {
        string missing = PairHeader + "p1,h1,h2,m1,l1,l2,l3,l4\r\n";
        string extra = PairHeader + "p1,h1,h2,m1,l1,l2,l3,l4,l5,oops\r\n";

        var missingError = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(new StringReader(missing), "a.csv"));
        var extraError = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(new StringReader(extra), "b.csv"));

        Assert.Equal(2, missingError.LineNumber);
        Assert.Contains("has 8 cells but the header has 9", missingError.Message, StringComparison.Ordinal);
        Assert.Equal(2, extraError.LineNumber);
        Assert.Equal(28, extraError.ColumnNumber);
        Assert.Contains("has 10 cells but the header has 9", extraError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnterminatedQuoteNamesOpeningQuote()
    {
        string csv = PairHeader + "p1,\"h1 never closes,h2,m1,l1,l2,l3,l4,l5\r\np2,h1,h2,m1,l1,l2,l3,l4,l5\r\n";

        var error = Assert.Throws<DatasetFormatException>(() => PairDatasetLoader.Load(new StringReader(csv), "q.csv"));

        Assert.Equal(2, error.LineNumber);
        Assert.Equal(4, error.ColumnNumber);
        Assert.Contains("no closing double quote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EpitomeEmptyTextNamesFileLineAndColumn()
    {
        const string header = "seeker_post,response_post,emotional_reactions,interpretations,explorations\r\n";
        string csv = header + "I feel lost,That sounds hard,1,0,2\r\nNobody listens,   ,0,1,1\r\n";

        var error = Assert.Throws<DatasetFormatException>(() => EpitomeLoader.LoadCombined(new StringReader(csv), "empathy.csv"));

        Assert.Equal("empathy.csv", error.SourceName);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(16, error.ColumnNumber);
        Assert.Contains("The response_post cell is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EpitomeUnmatchedRowsAreCountedInLog()
    {
        const string header = "sp_id,rp_id,seeker_post,response_post,level\n";
        var logger = new RecordingLogger<EpitomeDataset>();

        EpitomeDataset dataset = EpitomeLoader.Load(
            new StringReader(header + "s1,r1,a,b,1\ns2,r2,c,d,0\n"),
            new StringReader(header + "s1,r1,a,b,2\n"),
            new StringReader(header + "s1,r1,a,b,0\n"),
            logger);

        Assert.Equal(1, dataset.UnmatchedRowCount);
        var warning = Assert.Single(logger.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Contains("left out 1 rows whose (sp_id, rp_id) pair is missing", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnnoMiEmptyTranscriptIdIsRejected()
    {
        const string header = "transcript_id,mi_quality,utterance_id,interlocutor,utterance_text,main_therapist_behaviour\n";
        string csv = header + "1,high,0,client,I drink,n/a\n,high,1,therapist,You drink,reflection\n";

        var error = Assert.Throws<DatasetFormatException>(() => AnnoMiLoader.Load(new StringReader(csv), "annomi.csv"));

        Assert.Equal(3, error.LineNumber);
        Assert.Equal(1, error.ColumnNumber);
        Assert.Contains("The transcript_id cell is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnnoMiSkippedPairsAreCountedInLog()
    {
        const string header = "transcript_id,mi_quality,utterance_id,interlocutor,utterance_text,main_therapist_behaviour\n";
        string csv = header
            + "1,high,0,client,,n/a\n"
            + "1,high,1,therapist,You feel stuck,reflection\n"
            + "2,low,0,client,I smoke,n/a\n"
            + "2,low,1,therapist,You smoke,reflection\n"
            + "3,high,0,client,I run,n/a\n"
            + "3,high,1,therapist,You run,reflection\n";
        var logger = new RecordingLogger<ClientReflectionPair>();

        var pairs = AnnoMiLoader.Load(new StringReader(csv), "annomi.csv", highQualityOnly: true, logger);

        Assert.Equal("I run", Assert.Single(pairs).ClientUtterance);
        Assert.Contains(logger.Entries, entry => entry.Message.Contains("left out 2 rows of transcripts whose mi_quality is not high", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, entry => entry.Level == LogLevel.Warning
            && entry.Message.Contains("left out 1 client-reflection pairs with an empty utterance_text", StringComparison.Ordinal));
    }
}
