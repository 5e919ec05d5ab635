using System;
using System.Collections.Generic;
using Emorl.Training;

namespace Emorl.Tests.Training;

public sealed class RewardScalarizationTests
{
    // Objective 0 spreads widely over the batch, objective 1 narrowly. Samples 0 and 1 have equal
    // raw sums (1.0) but differ in which objective they are good at.
    private static readonly IReadOnlyList<IReadOnlyList<double>> s_batch =
    [
        [0.0, 1.0],
        [1.0, 0.0],
        [1.0, 0.2],
    ];

    [Fact]
    public void WeightedSumWithoutNormalisationMatchesHandComputation()
    {
        var scalars = RewardScalarization.WeightedSum(s_batch, [0.5, 0.5], normalizeObjectives: false);

        Assert.Equal(0.5, scalars[0], 12);
        Assert.Equal(0.5, scalars[1], 12);
        Assert.Equal(0.6, scalars[2], 12);
    }

    [Fact]
    public void PerObjectiveNormalisationSeparatesEqualSums()
    {
        var scalars = RewardScalarization.WeightedSum(s_batch, [0.5, 0.5], normalizeObjectives: true);

        // Objective 0: mean 2/3, population std sqrt(2/9). Objective 1: mean 0.4, std sqrt(0.56/3).
        double mean0 = 2.0 / 3, std0 = Math.Sqrt(2.0 / 9) + 1e-8;
        double mean1 = 0.4, std1 = Math.Sqrt((0.36 + 0.16 + 0.04) / 3) + 1e-8;
        Assert.Equal(0.5 * (0 - mean0) / std0 + 0.5 * (1 - mean1) / std1, scalars[0], 9);
        Assert.Equal(0.5 * (1 - mean0) / std0 + 0.5 * (0 - mean1) / std1, scalars[1], 9);
        Assert.Equal(0.5 * (1 - mean0) / std0 + 0.5 * (0.2 - mean1) / std1, scalars[2], 9);
        Assert.NotEqual(scalars[0], scalars[1], 3);
    }

    [Fact]
    public void ConstantObjectiveNormalisesToZero()
    {
        IReadOnlyList<IReadOnlyList<double>> batch = [[0.3, 1.0], [0.3, 3.0]];

        var scalars = RewardScalarization.WeightedSum(batch, [10.0, 1.0], normalizeObjectives: true);

        Assert.Equal(-1.0, scalars[0], 6);
        Assert.Equal(1.0, scalars[1], 6);
    }

    [Fact]
    public void RowOfWrongLengthIsRejected()
    {
        IReadOnlyList<IReadOnlyList<double>> batch = [[0.3, 1.0], [0.3]];

        var error = Assert.Throws<ArgumentException>(() => RewardScalarization.WeightedSum(batch, [1.0, 1.0], false));

        Assert.Contains("row 1", error.Message, StringComparison.Ordinal);
    }
}
