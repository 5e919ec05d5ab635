using System.Collections.Generic;
using Emorl.Search;

namespace Emorl.Tests.Search;

public class HierarchicalGridSearchOptionsTests
{
    [Fact]
    public void DefaultsAreFiveLevelsOverUnitRange()
    {
        var options = new HierarchicalGridSearchOptions();

        Assert.Equal(5, options.Levels);
        Assert.Equal(0.0, options.LowerBound);
        Assert.Equal(1.0, options.UpperBound);
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(21)]
    [InlineData(-3)]
    public void LevelsOutsideOneToTwentyAreReported(int levels)
    {
        var options = new HierarchicalGridSearchOptions { Levels = levels };

        string failure = Assert.Single(options.Validate());

        Assert.StartsWith($"Levels is {levels}", failure, System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    public void LevelsAtRangeEndsAreValid(int levels)
    {
        var options = new HierarchicalGridSearchOptions { Levels = levels };

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void NonFiniteBoundsAreReportedTogether()
    {
        var options = new HierarchicalGridSearchOptions
        {
            LowerBound = double.NaN,
            UpperBound = double.PositiveInfinity,
        };

        IReadOnlyList<string> failures = options.Validate();

        Assert.Equal(2, failures.Count);
    }

    [Fact]
    public void EqualBoundsAreReported()
    {
        var options = new HierarchicalGridSearchOptions { LowerBound = 0.5, UpperBound = 0.5 };

        string failure = Assert.Single(options.Validate());

        Assert.Contains("must be below", failure);
    }
}
