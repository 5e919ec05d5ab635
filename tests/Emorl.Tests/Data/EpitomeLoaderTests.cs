using System;
using System.IO;
using System.Linq;
using System.Text;
using Emorl.Data;
using Xunit.Abstractions;

namespace Emorl.Tests.Data;

public class EpitomeLoaderTests
{
    private const string Header = "sp_id,rp_id,seeker_post,response_post,level,rationales\n";

    private const string EmotionalReactions = Header
        + "s1,r1,I feel lost,\"That sounds hard, I'm sorry.\",2,sounds hard|\n"
        + "s2,r2,Nobody listens,What happened?,0,\n"
        + "s3,r3,Only here,Only here too,1,\n";

    private const string Interpretations = Header
        + "s2,r2,Nobody listens,What happened?,0,\n"
        + "s1,r1,I feel lost,\"That sounds hard, I'm sorry.\",1,\n"
        + "s4,r4,Only in interpretations,Reply,2,\n";

    private const string Explorations = Header
        + "s1,r1,I feel lost,\"That sounds hard, I'm sorry.\",0,\n"
        + "s2,r2,Nobody listens,What happened?,2,what happened|\n"
        + "s3,r3,Only here,Only here too,2,\n";

    private readonly ITestOutputHelper _output;

    public EpitomeLoaderTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void RowsJoinOnSeekerAndResponseIds()
    {
        EpitomeDataset dataset = LoadTiny();

        Assert.Equal(2, dataset.Records.Count);
        Assert.Equal(new EmpathyRecord("I feel lost", "That sounds hard, I'm sorry.", 2, 1, 0), dataset.Records[0]);
        Assert.Equal(new EmpathyRecord("Nobody listens", "What happened?", 0, 0, 2), dataset.Records[1]);
    }

    [Fact]
    public void RowsMissingFromSomeFilesAreCounted()
    {
        EpitomeDataset dataset = LoadTiny();

        // s3/r3 is in two files and s4/r4 in one: three rows in all.
        Assert.Equal(3, dataset.UnmatchedRowCount);
    }

    [Fact]
    public void RepeatedPairsJoinByOccurrence()
    {
        string emotional = Header + "s1,r1,a,b,0,\ns1,r1,a,b,1,\n";
        string interpretations = Header + "s1,r1,a,b,2,\ns1,r1,a,b,0,\n";
        string explorations = Header + "s1,r1,a,b,1,\n";

        EpitomeDataset dataset = EpitomeLoader.Load(
            new StringReader(emotional), new StringReader(interpretations), new StringReader(explorations));

        EmpathyRecord record = Assert.Single(dataset.Records);
        Assert.Equal(new EmpathyRecord("a", "b", 0, 2, 1), record);
        Assert.Equal(2, dataset.UnmatchedRowCount);
    }

    [Fact]
    public void InvalidLevelNamesFileLineAndColumn()
    {
        string interpretations = Header + "s1,r1,x,y,0,\ns2,r2,x,y,3,\n";

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(
            () => EpitomeLoader.Load(
                new StringReader(EmotionalReactions),
                new StringReader(interpretations),
                new StringReader(Explorations)));

        Assert.Equal(EpitomeLoader.InterpretationsFileName, error.SourceName);
        Assert.Equal(3, error.LineNumber);
        Assert.Equal(11, error.ColumnNumber);
    }

    [Fact]
    public void FolderWithThreeFilesLoads()
    {
        string folder = Directory.CreateTempSubdirectory("emorl-epitome-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, EpitomeLoader.EmotionalReactionsFileName), EmotionalReactions);
            File.WriteAllText(Path.Combine(folder, EpitomeLoader.InterpretationsFileName), Interpretations);
            File.WriteAllText(Path.Combine(folder, EpitomeLoader.ExplorationsFileName), Explorations);

            EpitomeDataset dataset = EpitomeLoader.LoadFolder(folder);

            Assert.Equal(2, dataset.Records.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void FolderMissingAFileNamesIt()
    {
        string folder = Directory.CreateTempSubdirectory("emorl-epitome-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, EpitomeLoader.EmotionalReactionsFileName), EmotionalReactions);

            FileNotFoundException error = Assert.Throws<FileNotFoundException>(() => EpitomeLoader.LoadFolder(folder));

            Assert.Contains(EpitomeLoader.InterpretationsFileName, error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void CombinedFileLoadsFromStream()
    {
        const string csv = "seeker_post,response_post,emotional_reactions,interpretations,explorations\r\n"
            + "\"I can't sleep\",\"That must be exhausting.\nWhat keeps you up?\",1,0,2\r\n"
            + "Hi,Hello,0,0,0\r\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(csv)).ToArray());

        EpitomeDataset dataset = EpitomeLoader.LoadCombined(stream, "empathy.csv");

        Assert.Equal(2, dataset.Records.Count);
        var expected = new EmpathyRecord("I can't sleep", "That must be exhausting.\nWhat keeps you up?", 1, 0, 2);
        Assert.Equal(expected, dataset.Records[0]);
        Assert.Equal(0, dataset.UnmatchedRowCount);
    }

    [Fact]
    public void CombinedFileWithBadLevelIsRejected()
    {
        const string csv = "seeker_post,response_post,emotional_reactions,interpretations,explorations\n"
            + "a,b,1,x,0\n";

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(
            () => EpitomeLoader.LoadCombined(new StringReader(csv), "empathy.csv"));

        Assert.Equal(2, error.LineNumber);
        Assert.Contains("interpretations", error.Message);
    }

    [Fact]
    public void PublishedFilesJoinTo3084Rows()
    {
        string? folder = SharedData.FindFile("epitome");
        if (folder is null)
        {
            _output.WriteLine(SharedData.SkipMessage("epitome"));
            return;
        }

        EpitomeDataset dataset = EpitomeLoader.LoadFolder(folder);

        Assert.Equal(3084, dataset.Records.Count);
        Assert.Equal(0, dataset.UnmatchedRowCount);
        Assert.All(dataset.Records, record => Assert.InRange(record.Total, 0, 6));
        double meanScore = dataset.Records.Average(record => record.Score);
        _output.WriteLine($"EPITOME: {dataset.Records.Count} records, mean score {meanScore:F4}");
    }

    private static EpitomeDataset LoadTiny() =>
        EpitomeLoader.Load(
            new StringReader(EmotionalReactions),
            new StringReader(Interpretations),
            new StringReader(Explorations));
}
