namespace Emorl.Training;

/// <summary>Where the weights of a multi-objective reward come from.</summary>
public enum RewardWeighting
{
    /// <summary>Fixed weights from <see cref="PolicyTrainerOptions.ObjectiveWeights"/>, 1/K each by default.</summary>
    Fixed,

    /// <summary>Weights steered during training by DynaOpt's Exp3 bandits; see <see cref="DynaOptWeighting"/>.</summary>
    DynaOpt,
}
