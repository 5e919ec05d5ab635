using System;
using Emorl.Rewards;

namespace Emorl.Tests.Rewards;

public sealed class ScoredPairTests
{
    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void TargetOutsideUnitIntervalIsRejected(double target)
    {
        var pair = new PromptResponse("I feel stuck.", "You feel stuck.");

        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => new ScoredPair(pair, target));

        Assert.Equal("target", exception.ParamName);
    }

    [Fact]
    public void BoundaryTargetsAreAccepted()
    {
        var pair = new PromptResponse("I feel stuck.", "You feel stuck.");

        var low = new ScoredPair(pair, 0.0);
        var high = new ScoredPair(pair, 1.0);

        Assert.Equal(0.0, low.Target);
        Assert.Equal(1.0, high.Target);
    }
}
