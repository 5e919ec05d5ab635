using System;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// Decoder state kept across decoding steps of a <see cref="T5Model"/>: the self-attention keys and
/// values of the tokens decoded so far, and each layer's cross-attention keys and values of the
/// encoder's output, computed on the first step and reused at every later one.
/// </summary>
/// <remarks>
/// One cache serves one batch of encoder outputs and one adapter, because the cross-attention keys
/// and values depend on both; call <see cref="Clear"/> before reusing it for other prompts. The
/// cache owns its tensors (outside any dispose scope). Not thread-safe.
/// </remarks>
public sealed class T5DecoderCache : IDisposable
{
    private readonly KeyValueCache _self;
    private readonly Tensor?[] _crossKeys;
    private readonly Tensor?[] _crossValues;

    /// <summary>Creates an empty cache for a decoder with the given number of layers.</summary>
    /// <param name="layerCount">Number of decoder layers, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layerCount"/> is below 1.</exception>
    public T5DecoderCache(int layerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        _self = new KeyValueCache(layerCount);
        _crossKeys = new Tensor?[layerCount];
        _crossValues = new Tensor?[layerCount];
    }

    /// <summary>Gets the number of decoder positions cached per row.</summary>
    public int Length => _self.Length;

    /// <summary>Gets the number of decoder layers the cache covers.</summary>
    public int LayerCount => _crossKeys.Length;

    /// <summary>Gets whether the cross-attention keys and values have been computed.</summary>
    public bool HasCrossAttention => _crossKeys[0] is not null;

    internal (Tensor Keys, Tensor Values) AppendSelf(int layer, Tensor keys, Tensor values) =>
        _self.Append(layer, keys, values);

    internal void Advance(int tokens) => _self.Advance(tokens);

    /// <summary>Returns one layer's cached cross-attention keys and values, computing them on first use.</summary>
    internal (Tensor Keys, Tensor Values) GetOrAddCross(int layer, Func<(Tensor Keys, Tensor Values)> compute)
    {
        if (_crossKeys[layer] is { } keys && _crossValues[layer] is { } values)
        {
            return (keys, values);
        }

        var (newKeys, newValues) = compute();
        _crossKeys[layer] = newKeys.DetachFromDisposeScope();
        _crossValues[layer] = newValues.DetachFromDisposeScope();
        return (newKeys, newValues);
    }

    /// <summary>Gets the batch size of the cached cross-attention keys, or null before the first step.</summary>
    internal long? CrossBatchSize => _crossKeys[0]?.shape[0];

    /// <summary>Releases every cached tensor and resets the length to zero.</summary>
    public void Clear()
    {
        _self.Clear();
        for (int i = 0; i < _crossKeys.Length; i++)
        {
            _crossKeys[i]?.Dispose();
            _crossValues[i]?.Dispose();
            _crossKeys[i] = null;
            _crossValues[i] = null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Clear();
}
