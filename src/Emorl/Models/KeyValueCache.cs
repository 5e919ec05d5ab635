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
    // Each layer's keys and values live in a buffer with room to spare, [B, heads, capacity, head
    // size], so a decoding step writes only its new position. Copying the whole cache every step
    // would cost O(length) per step and O(length²) per generation.
    private const long MinimumCapacity = 16;
    private readonly Tensor?[] _keyBuffers;
    private readonly Tensor?[] _valueBuffers;
    private readonly Tensor?[] _keyViews;
    private readonly Tensor?[] _valueViews;
    private readonly long[] _filled;

    /// <summary>Creates an empty cache for a model with the given number of layers.</summary>
    /// <param name="layerCount">Number of attention layers, at least 1.</param>
    public KeyValueCache(int layerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        _keyBuffers = new Tensor?[layerCount];
        _valueBuffers = new Tensor?[layerCount];
        _keyViews = new Tensor?[layerCount];
        _valueViews = new Tensor?[layerCount];
        _filled = new long[layerCount];
    }

    /// <summary>Gets the number of cached positions per row.</summary>
    public int Length { get; private set; }

    /// <summary>Appends one layer's new keys and values and returns the whole cached sequence.</summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="keys">New keys, [B, heads, T, head size].</param>
    /// <param name="values">New values, same shape as <paramref name="keys"/>.</param>
    /// <returns>
    /// Keys and values for all positions, [B, heads, Length + T, head size], as views of the cache's
    /// buffers; owned by the cache and valid until the next append to this layer.
    /// </returns>
    /// <exception cref="InvalidOperationException">The cache contains rows of another batch size or shape.</exception>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        long used = _filled[layer];
        long needed = used + keys.shape[2];
        var keyBuffer = _keyBuffers[layer];
        if (keyBuffer is not null && (keyBuffer.shape[0] != keys.shape[0] || keyBuffer.shape[1] != keys.shape[1] || keyBuffer.shape[3] != keys.shape[3]))
        {
            throw new InvalidOperationException(
                $"The cache contains keys of shape [{string.Join(", ", keyBuffer.shape)}] but step keys have shape [{string.Join(", ", keys.shape)}]; "
                + "call Clear before decoding another batch.");
        }

        if (keyBuffer is null || keyBuffer.shape[2] < needed)
        {
            long capacity = Math.Max(MinimumCapacity, 2 * needed);
            _keyBuffers[layer] = Grow(keyBuffer, keys, used, capacity);
            _valueBuffers[layer] = Grow(_valueBuffers[layer], values, used, capacity);
        }

        using (var keySlot = _keyBuffers[layer]!.narrow(2, used, keys.shape[2]))
        using (var valueSlot = _valueBuffers[layer]!.narrow(2, used, values.shape[2]))
        {
            keySlot.copy_(keys);
            valueSlot.copy_(values);
        }

        _filled[layer] = needed;
        _keyViews[layer]?.Dispose();
        _valueViews[layer]?.Dispose();
        _keyViews[layer] = _keyBuffers[layer]!.narrow(2, 0, needed).DetachFromDisposeScope();
        _valueViews[layer] = _valueBuffers[layer]!.narrow(2, 0, needed).DetachFromDisposeScope();
        return (_keyViews[layer]!, _valueViews[layer]!);
    }

    /// <summary>Advances <see cref="Length"/> after every layer has appended a step.</summary>
    internal void Advance(int tokens) => Length += tokens;

    /// <summary>Releases every cached tensor and resets the length to zero.</summary>
    public void Clear()
    {
        for (int i = 0; i < _keyBuffers.Length; i++)
        {
            foreach (var tensor in new[] { _keyViews[i], _valueViews[i], _keyBuffers[i], _valueBuffers[i] })
            {
                tensor?.Dispose();
            }

            _keyViews[i] = null;
            _valueViews[i] = null;
            _keyBuffers[i] = null;
            _valueBuffers[i] = null;
            _filled[i] = 0;
        }

        Length = 0;
    }

    /// <inheritdoc />
    public void Dispose() => Clear();

    private static Tensor Grow(Tensor? buffer, Tensor like, long used, long capacity)
    {
        var grown = empty([like.shape[0], like.shape[1], capacity, like.shape[3]], like.dtype, like.device).DetachFromDisposeScope();
        if (buffer is not null)
        {
            using (var target = grown.narrow(2, 0, used))
            using (var source = buffer.narrow(2, 0, used))
            {
                target.copy_(source);
            }

            buffer.Dispose();
        }

        return grown;
    }
}
