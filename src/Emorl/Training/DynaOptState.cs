using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>A snapshot of <see cref="DynaOptWeighting"/>, for checkpoints.</summary>
/// <param name="ArmWeights">Weights of the K + 1 arm bandit.</param>
/// <param name="ObjectiveWeights">Weights of the K-arm weight bandit.</param>
/// <param name="RewardWeights">The reward weights in use.</param>
/// <param name="CurrentArm">The arm in use, or null before the first draw.</param>
/// <param name="PreviousMeans">Validation means of the last validation, or null before the first.</param>
public sealed record DynaOptState(
    IReadOnlyList<double> ArmWeights,
    IReadOnlyList<double> ObjectiveWeights,
    IReadOnlyList<double> RewardWeights,
    int? CurrentArm,
    IReadOnlyList<double>? PreviousMeans);
