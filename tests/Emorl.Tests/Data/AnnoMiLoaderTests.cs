using System.Collections.Generic;
using System.IO;
using Emorl.Data;
using Xunit.Abstractions;

namespace Emorl.Tests.Data;

public class AnnoMiLoaderTests
{
    private const string Header =
        "transcript_id,mi_quality,video_title,utterance_id,interlocutor,utterance_text,"
        + "main_therapist_behaviour,client_talk_type\n";

    private readonly ITestOutputHelper _output;

    public AnnoMiLoaderTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void ClientThenTherapistReflectionMakesPair()
    {
        string csv = Header
            + "0,high,\"Video, one\",0,therapist,How are you?,question,n/a\n"
            + "0,high,\"Video, one\",1,client,I drink too much.,n/a,change\n"
            + "0,high,\"Video, one\",2,therapist,  You're worried about drinking.  ,reflection,n/a\n"
            + "0,high,\"Video, one\",3,client,Yes.,n/a,neutral\n"
            + "0,high,\"Video, one\",4,therapist,What else?,question,n/a\n";

        IReadOnlyList<ClientReflectionPair> pairs = AnnoMiLoader.Load(new StringReader(csv));

        ClientReflectionPair pair = Assert.Single(pairs);
        Assert.Equal("I drink too much.", pair.ClientUtterance);
        Assert.Equal("You're worried about drinking.", pair.Reflection);
    }

    [Fact]
    public void ReflectionAfterTherapistTurnIsNotPaired()
    {
        string csv = Header
            + "0,high,v,0,client,I smoke.,n/a,neutral\n"
            + "0,high,v,1,therapist,Okay.,other,n/a\n"
            + "0,high,v,2,therapist,You smoke daily.,reflection,n/a\n";

        IReadOnlyList<ClientReflectionPair> pairs = AnnoMiLoader.Load(new StringReader(csv));

        Assert.Empty(pairs);
    }

    [Fact]
    public void UtteranceOrderComesFromIdsNotFileRows()
    {
        string csv = Header
            + "0,high,v,1,therapist,You feel stuck.,reflection,n/a\n"
            + "0,high,v,0,client,I feel stuck.,n/a,neutral\n";

        IReadOnlyList<ClientReflectionPair> pairs = AnnoMiLoader.Load(new StringReader(csv));

        ClientReflectionPair pair = Assert.Single(pairs);
        Assert.Equal("I feel stuck.", pair.ClientUtterance);
    }

    [Fact]
    public void PairsDoNotCrossTranscripts()
    {
        string csv = Header
            + "0,high,v,0,client,End of one.,n/a,neutral\n"
            + "1,high,w,0,therapist,Start of two.,reflection,n/a\n";

        IReadOnlyList<ClientReflectionPair> pairs = AnnoMiLoader.Load(new StringReader(csv));

        Assert.Empty(pairs);
    }

    [Fact]
    public void HighQualityOnlyDropsLowQualityTranscripts()
    {
        string csv = Header
            + "0,high,v,0,client,A.,n/a,neutral\n"
            + "0,high,v,1,therapist,You said A.,reflection,n/a\n"
            + "1,low,w,0,client,B.,n/a,neutral\n"
            + "1,low,w,1,therapist,You said B.,reflection,n/a\n";

        IReadOnlyList<ClientReflectionPair> all = AnnoMiLoader.Load(new StringReader(csv));
        IReadOnlyList<ClientReflectionPair> high = AnnoMiLoader.Load(new StringReader(csv), highQualityOnly: true);

        Assert.Equal(2, all.Count);
        Assert.Equal("A.", Assert.Single(high).ClientUtterance);
    }

    [Fact]
    public void NonNumericUtteranceIdIsRejected()
    {
        string csv = Header + "0,high,v,first,client,A.,n/a,neutral\n";

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(
            () => AnnoMiLoader.Load(new StringReader(csv), "annomi.csv"));

        Assert.Equal(2, error.LineNumber);
        Assert.Equal(10, error.ColumnNumber);
    }

    [Fact]
    public void PublishedFileYields1281Pairs()
    {
        string? path = SharedData.FindFile("annomi/AnnoMI-simple.csv");
        if (path is null)
        {
            _output.WriteLine(SharedData.SkipMessage("annomi/AnnoMI-simple.csv"));
            return;
        }

        IReadOnlyList<ClientReflectionPair> all = AnnoMiLoader.Load(path);
        IReadOnlyList<ClientReflectionPair> high = AnnoMiLoader.Load(path, highQualityOnly: true);

        Assert.Equal(1281, all.Count);
        Assert.Equal(1252, high.Count);
        _output.WriteLine($"AnnoMI: {all.Count} client-reflection pairs, {high.Count} from high-quality transcripts");
    }
}
