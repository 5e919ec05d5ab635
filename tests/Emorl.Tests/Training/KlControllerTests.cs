using System;
using Emorl.Training;

namespace Emorl.Tests.Training;

public sealed class KlControllerTests
{
    [Fact]
    public void AdaptiveStepMatchesHandComputation()
    {
        var above = KlController.CreateAdaptive(0.2, targetKl: 6, horizon: 10_000);
        var below = KlController.CreateAdaptive(0.2, targetKl: 6, horizon: 10_000);
        var near = KlController.CreateAdaptive(0.2, targetKl: 6, horizon: 10_000);

        above.Update(observedKl: 12, sequenceCount: 256);
        below.Update(observedKl: 3, sequenceCount: 256);
        near.Update(observedKl: 6.6, sequenceCount: 256);

        // 12 / 6 − 1 = 1 clips to 0.2; 3 / 6 − 1 = −0.5 clips to −0.2; 6.6 / 6 − 1 = 0.1 stays.
        Assert.Equal(0.2 * (1 + 0.2 * 256 / 10_000.0), above.Coefficient, 12);
        Assert.Equal(0.2 * (1 - 0.2 * 256 / 10_000.0), below.Coefficient, 12);
        Assert.Equal(0.2 * (1 + 0.1 * 256 / 10_000.0), near.Coefficient, 12);
    }

    [Fact]
    public void AdaptiveCoefficientDrivesKlToTarget()
    {
        // A toy policy whose KL falls as β rises: KL = 1.2 / β, so KL = 6 exactly at β = 0.2.
        var controller = KlController.CreateAdaptive(0.05, targetKl: 6, horizon: 1_000);
        double initialGap = Math.Abs(1.2 / controller.Coefficient - 6);

        for (int step = 0; step < 2_000; step++)
        {
            controller.Update(1.2 / controller.Coefficient, sequenceCount: 48);
        }

        double finalGap = Math.Abs(1.2 / controller.Coefficient - 6);
        Assert.True(initialGap > 10, $"initial gap {initialGap}");
        Assert.True(finalGap < 0.05, $"KL still {finalGap} away from the target at β = {controller.Coefficient}");
    }

    [Fact]
    public void FixedCoefficientIgnoresObservedKl()
    {
        var controller = KlController.CreateFixed(0.05);

        controller.Update(observedKl: 100, sequenceCount: 48);

        Assert.Equal(0.05, controller.Coefficient);
        Assert.False(controller.IsAdaptive);
    }

    [Fact]
    public void AdaptiveControllerRejectsZeroCoefficient()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KlController.CreateAdaptive(0, 6, 10_000));
    }
}
