using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>What one objective's RL training did.</summary>
/// <param name="Objective">The objective's name.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="DataPoints">Training prompts consumed (prompts per step × steps), EMORL's data-point count.</param>
/// <param name="Seconds">Wall-clock seconds of the training loop, sampling, scoring and validation included.</param>
/// <param name="Converged">Whether the convergence rule stopped training before the step budget.</param>
/// <param name="ValidationScores">Mean objective score at each validation, in order.</param>
/// <param name="StepMetrics">Metrics of every step, in order.</param>
public sealed record ObjectiveTrainingResult(
    string Objective,
    int Steps,
    int DataPoints,
    double Seconds,
    bool Converged,
    IReadOnlyList<double> ValidationScores,
    IReadOnlyList<TrainingStepMetrics> StepMetrics);
