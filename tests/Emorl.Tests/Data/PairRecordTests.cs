using System.Collections.Generic;
using Emorl.Data;

namespace Emorl.Tests.Data;

public class PairRecordTests
{
    [Fact]
    public void GradedResponsesCarryLevelsInColumnOrder()
    {
        var record = new PairRecord("p", ["h1", "h2"], ["m1"], ["l1", "l2"]);

        IReadOnlyList<GradedResponse> graded = record.GetGradedResponses();

        Assert.Equal(
            new[]
            {
                new GradedResponse("h1", ResponseQuality.High),
                new GradedResponse("h2", ResponseQuality.High),
                new GradedResponse("m1", ResponseQuality.Medium),
                new GradedResponse("l1", ResponseQuality.Low),
                new GradedResponse("l2", ResponseQuality.Low),
            },
            graded);
    }

    [Fact]
    public void QualityLevelsHaveLabelValues()
    {
        Assert.Equal(2, (int)ResponseQuality.High);
        Assert.Equal(1, (int)ResponseQuality.Medium);
        Assert.Equal(0, (int)ResponseQuality.Low);
    }

    [Fact]
    public void GradedResponseDeconstructsToTextAndLevel()
    {
        var record = new PairRecord("p", ["h1"], [], []);

        (string text, ResponseQuality level) = record.GetGradedResponses()[0];

        Assert.Equal("h1", text);
        Assert.Equal(ResponseQuality.High, level);
    }

    [Fact]
    public void WithAsciiQuotesReplacesEveryText()
    {
        var record = new PairRecord("I don\u2019t", ["\u201Cno\u201D"], ["it\u2019s"], ["\u2018a\u2019"]);

        PairRecord ascii = record.WithAsciiQuotes();

        Assert.Equal("I don't", ascii.Prompt);
        Assert.Equal("\"no\"", ascii.HighQuality[0]);
        Assert.Equal("it's", ascii.MediumQuality[0]);
        Assert.Equal("'a'", ascii.LowQuality[0]);
        Assert.Equal("I don\u2019t", record.Prompt);
    }

    [Fact]
    public void NullListIsRejected()
    {
        Assert.Throws<System.ArgumentNullException>(() => new PairRecord("p", null!, [], []));
    }
}
