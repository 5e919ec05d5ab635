using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// Keys and values of every attention layer for the tokens decoded so far, so each decoding step
/// feeds only the new token.
/// </summary>
/// <remarks>
/// The cache owns its tensors: they live outside any dispose scope and are released by
/// <see cref="Dispose"/> or <see cref="Clear"/>. Not thread-safe.
/// </remarks>
public sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    /// <summary>Creates an empty cache for a model with the given number of layers.</summary>
    /// <param name="layerCount">Number of attention layers, at least 1.</param>
    public KeyValueCache(int layerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        _keys = new Tensor?[layerCount];
        _values = new Tensor?[layerCount];
    }

    /// <summary>Gets the number of cached positions per row.</summary>
    public int Length { get; private set; }

    /// <summary>Appends one layer's new keys and values and returns the whole cached sequence.</summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="keys">New keys, [B, heads, T, head size].</param>
    /// <param name="values">New values, same shape as <paramref name="keys"/>.</param>
    /// <returns>Keys and values for all positions, [B, heads, Length + T, head size]; owned by the cache.</returns>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var oldKeys = _keys[layer];
        var oldValues = _values[layer];
        var newKeys = oldKeys is null ? keys.clone() : cat([oldKeys, keys], 2);
        var newValues = oldValues is null ? values.clone() : cat([oldValues, values], 2);
        newKeys.DetachFromDisposeScope();
        newValues.DetachFromDisposeScope();
        oldKeys?.Dispose();
        oldValues?.Dispose();
        _keys[layer] = newKeys;
        _values[layer] = newValues;
        return (newKeys, newValues);
    }

    /// <summary>Advances <see cref="Length"/> after every layer has appended a step.</summary>
    internal void Advance(int tokens) => Length += tokens;

    /// <summary>Releases every cached tensor and resets the length to zero.</summary>
    public void Clear()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose();
            _values[i]?.Dispose();
            _keys[i] = null;
            _values[i] = null;
        }

        Length = 0;
    }

    /// <inheritdoc />
    public void Dispose() => Clear();
}
