using System;
using Emorl.Models;
using static TorchSharp.torch;

namespace Emorl.Objectives;

/// <summary>
/// An objective model made of a frozen <see cref="Gpt2Model"/> and its own <see cref="LoraAdapter"/>.
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
    public LoraObjectiveModel(string name, Gpt2Model baseModel, LoraAdapter? adapter, bool ownsAdapter = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(baseModel);
        Name = name;
        SharedBase = baseModel;
        Adapter = adapter;
        _ownsAdapter = ownsAdapter;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Gpt2Model SharedBase { get; }

    /// <summary>Gets the objective's adapter, or null for the base model.</summary>
    public LoraAdapter? Adapter { get; }

    /// <inheritdoc />
    public Tensor ForwardHidden(Tensor tokens, Tensor positions, Tensor keyMask, KeyValueCache? cache) =>
        SharedBase.ForwardHidden(tokens, positions, keyMask, cache, Adapter);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsAdapter)
        {
            Adapter?.Dispose();
        }
    }
}
