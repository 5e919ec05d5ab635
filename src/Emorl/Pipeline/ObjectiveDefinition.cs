using System;
using System.Linq;
using Emorl.Rewards;

namespace Emorl.Pipeline;

/// <summary>
/// One objective of a run: its name and how to get its reward model once the base model exists.
/// </summary>
/// <remarks>
/// <c>services.AddEmorl().AddObjective&lt;TReward&gt;(name)</c> registers one of these per objective.
/// Without dependency injection, pass them to <see cref="EmorlTrainer"/> directly. The objectives'
/// order is the order of the aggregation weights.
/// </remarks>
public sealed class ObjectiveDefinition
{
    private readonly Func<RewardModelContext, IRewardModel> _createReward;

    /// <summary>Creates an objective definition.</summary>
    /// <param name="name">
    /// The objective's name, such as <c>empathy</c>; used in logs, reports and as the adapter's folder name, so
    /// it must be a plain folder name.
    /// </param>
    /// <param name="createReward">
    /// Returns the objective's reward model for a run's base model and template. It is called once
    /// per <see cref="EmorlTrainer.TrainObjectives"/> or <see cref="EmorlTrainer.LoadObjectives"/> call.
    /// </param>
    /// <param name="ownsReward">
    /// Whether the <see cref="ObjectiveEnsemble"/> disposes the reward model (when it is
    /// <see cref="IDisposable"/>). Pass false for a reward model that lives longer, such as a
    /// singleton from a service container.
    /// </param>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is null, empty or white space, is <c>.</c> or <c>..</c>, or contains a path
    /// separator or a control character.
    /// </exception>
    /// <exception cref="ArgumentNullException"><paramref name="createReward"/> is null.</exception>
    public ObjectiveDefinition(string name, Func<RewardModelContext, IRewardModel> createReward, bool ownsReward = true)
    {
        ThrowIfInvalidName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(createReward);
        Name = name;
        _createReward = createReward;
        OwnsReward = ownsReward;
    }

    /// <summary>Throws when a name cannot serve as an objective's adapter folder under a parent folder.</summary>
    /// <param name="name">The objective name to check.</param>
    /// <param name="paramName">The caller's parameter name.</param>
    /// <exception cref="ArgumentException">
    /// The name is null, empty or white space, is <c>.</c> or <c>..</c>, or contains a path separator or a control character.
    /// </exception>
    internal static void ThrowIfInvalidName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name, paramName);
        string? problem = name is "." or ".."
            ? "names a folder itself"
            : name.IndexOfAny(['/', '\\']) >= 0
                ? "contains a path separator"
                : name.Any(char.IsControl) ? "contains a control character, such as a line break" : null;
        if (problem is not null)
        {
            // The name becomes a folder under the adapters folder, so it must not point anywhere else.
            throw new ArgumentException(
                $"The objective name '{name}' {problem}, but SaveAdapters and LoadObjectives use it as the name of a "
                + "folder under the adapters folder. Use a plain name such as 'empathy'.",
                paramName);
        }
    }

    /// <summary>Gets the objective's name.</summary>
    public string Name { get; }

    /// <summary>Gets whether the ensemble that uses the reward model disposes it.</summary>
    public bool OwnsReward { get; }

    /// <summary>Creates the reward model for a run, renamed to the objective's name when its own name differs.</summary>
    /// <param name="context">The run's base model and template.</param>
    /// <returns>A reward model whose <see cref="IRewardModel.Name"/> is <see cref="Name"/>.</returns>
    /// <exception cref="InvalidOperationException">The factory returned null.</exception>
    public IRewardModel CreateReward(RewardModelContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var reward = _createReward(context) ?? throw new InvalidOperationException(
            $"The reward factory of objective '{Name}' returned null; return an IRewardModel instance.");
        return string.Equals(reward.Name, Name, StringComparison.Ordinal) ? reward : new RenamedRewardModel(Name, reward);
    }
}
