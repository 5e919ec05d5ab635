namespace Emorl.Evaluation;

/// <summary>Progress of an <see cref="ObjectiveEvaluator"/> run, reported after each generated batch.</summary>
/// <param name="Completed">Statements generated so far.</param>
/// <param name="Total">Statements in the evaluation.</param>
public sealed record EvaluationProgress(int Completed, int Total);
