using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>
/// The non-tensor part of a <see cref="PolicyTrainer"/> checkpoint, stored as JSON in the
/// checkpoint file's safetensors metadata.
/// </summary>
internal sealed record PolicyTrainerState
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    public PolicyAlgorithm Algorithm { get; init; }

    public IReadOnlyList<string> Objectives { get; init; } = [];

    public int Step { get; init; }

    public int DataPoints { get; init; }

    public int OptimizerSteps { get; init; }

    public IReadOnlyList<long> OptimizerParameterSteps { get; init; } = [];

    public ulong RandomState { get; init; }

    public double KlCoefficient { get; init; }

    public RunningMoments? RewardMoments { get; init; }

    public DynaOptState? DynaOpt { get; init; }

    public int TrainCount { get; init; }

    public IReadOnlyList<int> PendingOrder { get; init; } = [];

    public IReadOnlyList<double> ValidationScores { get; init; } = [];

    public IReadOnlyList<IReadOnlyList<double>> ValidationObjectiveScores { get; init; } = [];

    public bool Converged { get; init; }

    public double Seconds { get; init; }
}
