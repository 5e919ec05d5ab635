using System;
using System.Linq;
using Emorl.Models;
using static TorchSharp.torch;

namespace Emorl.Objectives;

/// <summary>
/// An objective model made of a frozen base (GPT-2 or T5) and its own <see cref="LoraAdapter"/>.
/// </summary>
/// <remarks>
/// The base is shared and not owned; the adapter is owned only when <c>ownsAdapter</c> is true.
/// A null adapter gives the base model itself, the starting point of every objective.
/// </remarks>
public sealed class LoraObjectiveModel : IObjectiveModel, IDisposable
{
    private readonly bool _ownsAdapter;

    /// <summary>Creates an objective model.</summary>
    /// <param name="name">The objective's name.</param>
    /// <param name="baseModel">The shared frozen base.</param>
    /// <param name="adapter">The objective's adapter, or null for the base model alone.</param>
    /// <param name="ownsAdapter">Whether <see cref="Dispose"/> releases the adapter.</param>
    /// <exception cref="ArgumentException">The adapter's factors do not fit the base model's projections.</exception>
    public LoraObjectiveModel(string name, AdaptableLanguageModel baseModel, LoraAdapter? adapter, bool ownsAdapter = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(baseModel);
        if (adapter is not null)
        {
            EnsureAdapterFits(name, baseModel, adapter);
        }

        Name = name;
        SharedBase = baseModel;
        Adapter = adapter;
        _ownsAdapter = ownsAdapter;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public AdaptableLanguageModel SharedBase { get; }

    /// <summary>Gets the objective's adapter, or null for the base model.</summary>
    public LoraAdapter? Adapter { get; }

    /// <inheritdoc />
    public IHiddenStateDecoder StartDecoding(bool useCache) => SharedBase.StartDecoding(Adapter, useCache);

    /// <inheritdoc />
    public Tensor ContinuationHidden(Tensor promptTokens, Tensor promptMask, Tensor continuation) =>
        SharedBase.ContinuationHidden(promptTokens, promptMask, continuation, Adapter);

    private static void EnsureAdapterFits(string name, AdaptableLanguageModel baseModel, LoraAdapter adapter)
    {
        var projections = baseModel.AdaptableProjections().ToDictionary(p => p.Path, StringComparer.Ordinal);
        foreach (var path in adapter.Targets)
        {
            adapter.TryGetFactors(path, out var a, out var b);
            bool fits = projections.TryGetValue(path, out var projection)
                && a.shape[1] == projection.InFeatures && b.shape[0] == projection.OutFeatures;
            if (!fits)
            {
                string expected = projection.Path is null
                    ? "no such projection"
                    : $"in {projection.InFeatures}, out {projection.OutFeatures}";
                throw new ArgumentException(
                    $"The adapter of objective '{name}' does not fit its base model at '{path}': the adapter has " +
                    $"in {a.shape[1]}, out {b.shape[0]} and the base has {expected}. Create or load the adapter " +
                    "for this base model.", nameof(adapter));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsAdapter)
        {
            Adapter?.Dispose();
        }
    }
}
