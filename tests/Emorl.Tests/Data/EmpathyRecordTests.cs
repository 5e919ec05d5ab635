using System;
using Emorl.Data;

namespace Emorl.Tests.Data;

public class EmpathyRecordTests
{
    [Fact]
    public void TotalAddsThreeLevels()
    {
        var record = new EmpathyRecord("seeker", "response", 2, 1, 0);

        Assert.Equal(3, record.Total);
    }

    [Fact]
    public void ScoreIsTotalOverSix()
    {
        var record = new EmpathyRecord("seeker", "response", 2, 2, 1);

        Assert.Equal(5.0 / 6.0, record.Score, 12);
    }

    [Fact]
    public void ScoreSpansZeroToOne()
    {
        Assert.Equal(0.0, new EmpathyRecord("s", "r", 0, 0, 0).Score);
        Assert.Equal(1.0, new EmpathyRecord("s", "r", 2, 2, 2).Score);
    }

    [Theory]
    [InlineData(3, 0, 0)]
    [InlineData(0, -1, 0)]
    [InlineData(0, 0, 7)]
    public void LevelOutsideZeroToTwoIsRejected(int emotionalReactions, int interpretations, int explorations)
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new EmpathyRecord("s", "r", emotionalReactions, interpretations, explorations));
    }

    [Fact]
    public void WithExpressionChecksLevel()
    {
        var record = new EmpathyRecord("s", "r", 1, 1, 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => record with { Explorations = 3 });
    }
}
