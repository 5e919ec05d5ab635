using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>What one RL training run did.</summary>
/// <param name="Objective">The trained model's name.</param>
/// <param name="Steps">Steps taken, resumed ones included.</param>
/// <param name="DataPoints">Training prompts consumed (prompts per step × steps), EMORL's data-point count.</param>
/// <param name="Seconds">Wall-clock seconds of the training loop, sampling, scoring and validation included, summed over resumed runs.</param>
/// <param name="Converged">Whether the convergence rule stopped training before the step budget.</param>
/// <param name="ValidationScores">Mean validation score at each validation, averaged over objectives, in order.</param>
/// <param name="StepMetrics">Metrics of every step this run took (not those before a resume), in order.</param>
public sealed record ObjectiveTrainingResult(
    string Objective,
    int Steps,
    int DataPoints,
    double Seconds,
    bool Converged,
    IReadOnlyList<double> ValidationScores,
    IReadOnlyList<TrainingStepMetrics> StepMetrics)
{
    /// <summary>Gets each validation's mean score per objective, in objective order.</summary>
    public IReadOnlyList<IReadOnlyList<double>> ValidationObjectiveScores { get; init; } = [];

    /// <summary>Gets the objective names of the reward model, in the order of the per-objective lists.</summary>
    public IReadOnlyList<string> Objectives { get; init; } = [];
}
