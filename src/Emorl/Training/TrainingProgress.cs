namespace Emorl.Training;

/// <summary>Progress of a training run.</summary>
/// <param name="Stage">What is being trained, such as <c>warm-up</c> or an objective's name.</param>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">The step budget.</param>
/// <param name="Value">The latest loss (warm-up) or validation score (RL), or null before the first.</param>
public sealed record TrainingProgress(string Stage, int Step, int TotalSteps, double? Value);
