namespace Emorl.Training;

/// <summary>Mean and population standard deviation of one objective's scores in a step.</summary>
/// <param name="Mean">Mean score in [0, 1], before clipping.</param>
/// <param name="Std">Population standard deviation.</param>
public sealed record ScoreStatistics(double Mean, double Std);
