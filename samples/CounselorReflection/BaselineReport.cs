using System.Collections.Generic;

namespace CounselorReflection;

/// <summary>EMORL against its baselines on the test split; written to report.json under "baselines".</summary>
/// <param name="Methods">One row per method: base, emorl, uniform_weighted, dynaopt, model_soups.</param>
/// <param name="ModelSoupsSearch">The grid search over Model Soups' merge weights.</param>
/// <param name="Training">Training of the single-policy baselines, by method name.</param>
/// <param name="BaselineSteps">The step budget of each single-policy baseline.</param>
internal sealed record BaselineComparisonReport(
    IReadOnlyList<MethodReport> Methods,
    SearchReport ModelSoupsSearch,
    IReadOnlyDictionary<string, TrainingReport> Training,
    int BaselineSteps);

/// <summary>One method's test scores and training cost.</summary>
/// <param name="Name">The method.</param>
/// <param name="Weights">Aggregation weights for EMORL and Model Soups; null otherwise.</param>
/// <param name="TestScores">Mean test score of each objective.</param>
/// <param name="TestMean">Unweighted mean of the objective means.</param>
/// <param name="Distinct2">Distinct-2 of the test generations (distinct word bigrams over all word bigrams).</param>
/// <param name="TrainingDataPoints">Training prompts consumed: the sum over objectives for EMORL and Model Soups.</param>
/// <param name="TrainingSeconds">RL training seconds: the sum over objectives for EMORL and Model Soups.</param>
/// <param name="SearchSeconds">Seconds of the aggregation-weight search; 0 for methods without one.</param>
internal sealed record MethodReport(
    string Name,
    IReadOnlyList<double>? Weights,
    IReadOnlyDictionary<string, double> TestScores,
    double TestMean,
    double Distinct2,
    int TrainingDataPoints,
    double TrainingSeconds,
    double SearchSeconds);
