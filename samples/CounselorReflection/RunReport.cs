using System.Collections.Generic;

namespace CounselorReflection;

/// <summary>Everything report.json holds; property names become snake_case.</summary>
internal sealed record RunReport(
    string Dataset,
    int Seed,
    IReadOnlyList<string> Objectives,
    IReadOnlyDictionary<string, ScorerReport> Scorers,
    IReadOnlyList<ModelReport> Models,
    SearchReport Search,
    IReadOnlyDictionary<string, TrainingReport> Training,
    WarmupReport Warmup,
    SplitReport Split,
    MachineReport Machine,
    double TotalSeconds,
    IReadOnlyList<ExampleReport> Examples,
    int MaxNewTokens)
{
    /// <summary>Gets the comparison with the baselines, or null when the run had no --baselines.</summary>
    public BaselineComparisonReport? Baselines { get; init; }

    /// <summary>Gets the RL algorithm of every adapter in the run.</summary>
    public string Algorithm { get; init; } = "KScst";

    /// <summary>Gets the base model's architecture, <c>gpt2</c> or <c>t5</c>.</summary>
    public string Architecture { get; init; } = "gpt2";
}

internal sealed record ScorerReport(string HeldoutMetric, double Value, int TrainingExamples, int HeldoutExamples, string Source);

internal sealed record ModelReport(
    string Name, IReadOnlyList<double>? Weights, IReadOnlyDictionary<string, double> TestScores, double TestMean, double Distinct2);

internal sealed record SearchReport(
    int Evaluations,
    int DistinctPoints,
    System.Numerics.BigInteger ExhaustiveGridPoints,
    int Levels,
    IReadOnlyList<double> BestWeights,
    double BestValidationMean,
    double Seconds,
    IReadOnlyList<SearchPointReport> History);

internal sealed record SearchPointReport(IReadOnlyList<double> Weights, double Score, int Level, bool FromCache);

internal sealed record TrainingReport(
    int DataPoints,
    double Seconds,
    int Steps,
    bool Converged,
    IReadOnlyList<double> ValidationScores,
    double FinalKl,
    IReadOnlyList<int> ValidationSteps,
    IReadOnlyList<double> StepScores);

internal sealed record WarmupReport(
    int Pairs,
    int Steps,
    double Seconds,
    double FirstLoss,
    double FinalLoss,
    double ValidationPerplexity,
    int VocabularySize,
    long Parameters,
    IReadOnlyList<double> LossCurve);

internal sealed record SplitReport(int Train, int Validation, int Test);

internal sealed record MachineReport(string Cpu, int Threads, string Os, string Runtime, string TorchSharp);

internal sealed record ExampleReport(string Statement, IReadOnlyDictionary<string, string> Responses);
