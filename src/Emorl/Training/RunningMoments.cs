namespace Emorl.Training;

/// <summary>Running statistics of a stream of values.</summary>
/// <param name="Count">How many values were seen.</param>
/// <param name="Mean">Their mean.</param>
/// <param name="SumOfSquaredDeviations">Σ (x − mean)², so the population variance is this over <paramref name="Count"/>.</param>
public sealed record RunningMoments(long Count, double Mean, double SumOfSquaredDeviations);
