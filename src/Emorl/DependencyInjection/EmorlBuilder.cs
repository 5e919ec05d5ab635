using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Pipeline;
using Emorl.Rewards;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds EMORL objectives to a service collection; returned by <c>AddEmorl</c>.</summary>
/// <remarks>Objectives are trained and weighted in the order they are added.</remarks>
public sealed class EmorlBuilder
{
    internal EmorlBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>Gets the service collection the objectives are added to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds an objective whose reward model is resolved from the container; <typeparamref name="TReward"/>
    /// is registered as a singleton unless it already is.
    /// </summary>
    /// <typeparam name="TReward">The reward model type; its constructor's parameters are resolved from the container.</typeparam>
    /// <param name="name">The objective's name, distinct among objectives.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is empty, already used, or not a plain folder name.</exception>
    /// <remarks>The container owns the reward model, so an ensemble never disposes it.</remarks>
    public EmorlBuilder AddObjective<TReward>(string name)
        where TReward : class, IRewardModel
    {
        RequireNewName(name);
        Services.TryAddSingleton<TReward>();
        Services.AddSingleton(provider => new ObjectiveDefinition(name, _ => provider.GetRequiredService<TReward>(), ownsReward: false));
        return this;
    }

    /// <summary>
    /// Adds an objective whose reward model is created for each run from the run's base model and
    /// template, such as a perplexity-based fluency reward.
    /// </summary>
    /// <param name="name">The objective's name, distinct among objectives.</param>
    /// <param name="createReward">Creates the reward model from the container and the run's context.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is empty, already used, or not a plain folder name.</exception>
    /// <remarks>The ensemble owns each reward model created here and disposes it when it is <see cref="IDisposable"/>.</remarks>
    public EmorlBuilder AddObjective(string name, Func<IServiceProvider, RewardModelContext, IRewardModel> createReward)
    {
        ArgumentNullException.ThrowIfNull(createReward);
        RequireNewName(name);
        Services.AddSingleton(provider => new ObjectiveDefinition(name, context => createReward(provider, context)));
        return this;
    }

    /// <summary>
    /// Adds a fluency objective scored by the perplexity of responses under the frozen base model:
    /// clip((C − PPL) / C, 0, 1).
    /// </summary>
    /// <param name="name">The objective's name. Default <c>fluency</c>.</param>
    /// <param name="maxPerplexity">C, the perplexity at which the score reaches 0; above 1. Default 50 (EMORL's value under GPT-2).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is empty, already used, or not a plain folder name.</exception>
    public EmorlBuilder AddPerplexityFluencyObjective(string name = "fluency", double maxPerplexity = 50)
    {
        if (!(maxPerplexity > 1) || double.IsInfinity(maxPerplexity))
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxPerplexity), maxPerplexity, "The perplexity ceiling must be a finite number above 1, such as 50.");
        }

        return AddObjective(
            name, (_, context) => new PerplexityFluencyReward(context.BaseModel, context.Template, maxPerplexity, name));
    }

    private void RequireNewName(string name)
    {
        ObjectiveDefinition.ThrowIfInvalidName(name, nameof(name));
        var taken = Services
            .Where(d => d.ServiceType == typeof(ObjectiveNameRegistration))
            .Select(d => ((ObjectiveNameRegistration)d.ImplementationInstance!).Name);
        if (taken.Contains(name, StringComparer.Ordinal))
        {
            throw new ArgumentException($"An objective named '{name}' was already added; give each objective a distinct name.", nameof(name));
        }

        Services.AddSingleton(new ObjectiveNameRegistration(name));
    }

    /// <summary>Records an objective name in the collection, so that two builders over it see the same names.</summary>
    private sealed record ObjectiveNameRegistration(string Name);
}
