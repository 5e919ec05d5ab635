using System;
using System.Collections.Generic;
using Emorl.Data;

namespace Emorl.Tests.Data;

public class DatasetSplitOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        IReadOnlyList<string> failures = new DatasetSplitOptions().Validate();

        Assert.Empty(failures);
    }

    [Fact]
    public void EveryInvalidValueIsReported()
    {
        var options = new DatasetSplitOptions
        {
            TrainFraction = 0,
            ValidationFraction = double.NaN,
            TestFraction = -0.1,
        };

        IReadOnlyList<string> failures = options.Validate();

        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, failure => failure.StartsWith("TrainFraction is 0", StringComparison.Ordinal));
        Assert.Contains(failures, failure => failure.StartsWith("ValidationFraction is NaN", StringComparison.Ordinal));
        Assert.Contains(failures, failure => failure.StartsWith("TestFraction is -0.1", StringComparison.Ordinal));
    }

    [Fact]
    public void FractionsMustSumToOne()
    {
        var options = new DatasetSplitOptions { TrainFraction = 0.7, ValidationFraction = 0.1, TestFraction = 0.1 };

        string failure = Assert.Single(options.Validate());

        Assert.Contains("0.9", failure);
    }
}
