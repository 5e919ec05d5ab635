using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Training;

/// <summary>
/// DynaOpt's reward weights (Min et al., "Dynamic Reward Adjustment in Multi-Reward Reinforcement
/// Learning for Counselor Reflection Generation", LREC-COLING 2024): an Exp3 bandit picks which
/// objective's weight to raise, rewarded by how much the validation scores improved.
/// </summary>
/// <remarks>
/// <para>
/// Two Exp3 bandits with γ = 0.07. The arm bandit has K + 1 arms, one per objective plus "no
/// change" (arm K). The weight bandit has K arms and only accumulates boosts. Each pull of an arm
/// c &lt; K boosts the weight bandit once, as an Exp3 update with reward 1 on arm c, and the reward
/// weights become its weights divided by their sum. "No change" keeps them. Before the first boost
/// every weight is 1, as in DynaOpt's code (github.com/MichiganNLP/dynaopt, rl_train.py and
/// utils_scoring.py).
/// </para>
/// <para>
/// At each validation the arm bandit is credited with x = mean over objectives of
/// (validation mean now − validation mean at the previous validation), 0 at the first validation,
/// and draws the arm used until the next one. EMORL's reference code instead boosted at every
/// training step and kept 8 single scores as the history; this class follows DynaOpt.
/// </para>
/// </remarks>
public sealed class DynaOptWeighting
{
    private readonly Exp3Bandit _arms;
    private readonly Exp3Bandit _weights;
    private double[] _rewardWeights;
    private double[]? _previousMeans;

    /// <summary>Creates the weighting with every reward weight at 1 and no arm drawn.</summary>
    /// <param name="objectiveCount">K, at least 1.</param>
    /// <param name="gamma">γ of both bandits. Default 0.07 (DynaOpt).</param>
    public DynaOptWeighting(int objectiveCount, double gamma = 0.07)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        ObjectiveCount = objectiveCount;
        _arms = new Exp3Bandit(objectiveCount + 1, gamma);
        _weights = new Exp3Bandit(objectiveCount, gamma);
        _rewardWeights = Enumerable.Repeat(1.0, objectiveCount).ToArray();
    }

    /// <summary>Gets K, the number of objectives.</summary>
    public int ObjectiveCount { get; }

    /// <summary>Gets the reward weights the training reward uses now, one per objective.</summary>
    public IReadOnlyList<double> RewardWeights => _rewardWeights;

    /// <summary>Gets the arm in use: an objective index, <see cref="ObjectiveCount"/> for "no change", or null before <see cref="Begin"/>.</summary>
    public int? CurrentArm { get; private set; }

    /// <summary>Gets the arm bandit (K + 1 arms).</summary>
    public Exp3Bandit ArmBandit => _arms;

    /// <summary>Gets the weight bandit (K arms) whose normalised weights become the reward weights.</summary>
    public Exp3Bandit WeightBandit => _weights;

    /// <summary>Draws the first arm before training starts and applies its boost.</summary>
    /// <param name="uniform">A uniform random number in [0, 1).</param>
    /// <returns>The drawn arm.</returns>
    public int Begin(double uniform)
    {
        if (CurrentArm is not null)
        {
            throw new InvalidOperationException("DynaOpt has already drawn its first arm; call Observe after each validation.");
        }

        return Pull(uniform);
    }

    /// <summary>Credits the arm in use with the change in validation means, then draws and applies the next arm.</summary>
    /// <param name="validationMeans">The mean validation score of each objective, in objective order.</param>
    /// <param name="uniform">A uniform random number in [0, 1) for the draw.</param>
    /// <returns>The bandit reward x credited to the previous arm.</returns>
    public double Observe(IReadOnlyList<double> validationMeans, double uniform)
    {
        ArgumentNullException.ThrowIfNull(validationMeans);
        if (CurrentArm is not int arm)
        {
            throw new InvalidOperationException("Call Begin before the first validation so that an arm is in use.");
        }

        if (validationMeans.Count != ObjectiveCount)
        {
            throw new ArgumentException(
                $"Got {validationMeans.Count} validation means for {ObjectiveCount} objectives; pass one per objective.",
                nameof(validationMeans));
        }

        double reward = _previousMeans is null
            ? 0
            : validationMeans.Select((mean, k) => mean - _previousMeans[k]).Average();
        _arms.Update(arm, reward);
        _previousMeans = validationMeans.ToArray();
        Pull(uniform);
        return reward;
    }

    /// <summary>Captures everything needed to resume.</summary>
    /// <returns>A snapshot of both bandits, the reward weights, the arm and the previous means.</returns>
    public DynaOptState Save() =>
        new(_arms.Weights.ToArray(), _weights.Weights.ToArray(), _rewardWeights.ToArray(), CurrentArm, _previousMeans?.ToArray());

    /// <summary>Restores a snapshot taken by <see cref="Save"/>.</summary>
    /// <param name="state">The snapshot; its sizes must match <see cref="ObjectiveCount"/>.</param>
    public void Restore(DynaOptState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.RewardWeights.Count != ObjectiveCount || state.PreviousMeans is { } means && means.Count != ObjectiveCount)
        {
            throw new ArgumentException(
                $"The DynaOpt state has {state.RewardWeights.Count} reward weights; this weighting has {ObjectiveCount} objectives.",
                nameof(state));
        }

        _arms.Restore(state.ArmWeights);
        _weights.Restore(state.ObjectiveWeights);
        _rewardWeights = state.RewardWeights.ToArray();
        CurrentArm = state.CurrentArm;
        _previousMeans = state.PreviousMeans?.ToArray();
    }

    private int Pull(double uniform)
    {
        int arm = _arms.Draw(uniform);
        CurrentArm = arm;
        if (arm < ObjectiveCount)
        {
            _weights.Update(arm, 1.0);
            double total = _weights.Weights.Sum();
            _rewardWeights = _weights.Weights.Select(w => w / total).ToArray();
        }

        return arm;
    }
}
