using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// The encoder or the decoder of a T5 model: its layers and its final RMS layer norm. The token
/// embedding belongs to <see cref="T5Model"/>, which shares it between both stacks.
/// </summary>
internal sealed class T5Stack : nn.Module
{
    private readonly T5Block[] _blocks;
    private readonly T5LayerNorm _finalNorm;
    private readonly double _dropout;

    public T5Stack(string name, T5Options options, bool isDecoder) : base(name)
    {
        int layerCount = isDecoder ? options.DecoderLayerCount : options.EncoderLayerCount;
        _dropout = options.Dropout;

        // Only layer 0 owns a bias table; the stack passes its bias to every later layer.
        _blocks = Enumerable.Range(0, layerCount)
            .Select(i => new T5Block($"{name}.block.{i}", options, isDecoder, hasRelativeBias: i == 0))
            .ToArray();
        _finalNorm = new T5LayerNorm(options.ModelSize, options.LayerNormEpsilon);
        register_module("block", new NamedModules(_blocks
            .Select((block, i) => (i.ToString(CultureInfo.InvariantCulture), (nn.Module)block))
            .ToArray()));
        register_module("final_layer_norm", _finalNorm);
    }

    public int LayerCount => _blocks.Length;

    public IEnumerable<T5Linear> Projections => _blocks.SelectMany(b => b.Projections);

    /// <summary>Computes the first layer's relative-position bias, which every layer of the stack adds.</summary>
    /// <returns>[1, heads, T, Tk] float32; the caller owns it.</returns>
    public Tensor ComputeBias(long queryLength, long keyLength, long queryOffset, Device device) =>
        _blocks[0].SelfAttention.ComputeBias(queryLength, keyLength, queryOffset, device);

    /// <summary>Computes one decoder layer's cross-attention keys and values of the encoder's output.</summary>
    /// <returns>Keys and values, [B, heads, S, d_kv] each; the caller owns them.</returns>
    public (Tensor Keys, Tensor Values) ComputeCross(int layer, Tensor encoderStates, IProjectionUpdate? adapter)
    {
        var attention = _blocks[layer].CrossAttention!;
        return (attention.ProjectKeysOrValues(encoderStates, projectValues: false, adapter),
                attention.ProjectKeysOrValues(encoderStates, projectValues: true, adapter));
    }

    /// <summary>Runs every layer, then the final layer norm and dropout.</summary>
    /// <param name="embedded">Token embeddings, [B, T, H].</param>
    /// <param name="selfBias">Position bias plus additive mask, [B or 1, heads, T, Tk].</param>
    /// <param name="cross">Per-layer cross-attention keys and values, or null in the encoder.</param>
    /// <param name="crossMask">Additive mask over the encoder's positions, [B, 1, 1, S], or null in the encoder.</param>
    /// <param name="cache">Decoder cache to read and extend, or null.</param>
    /// <param name="adapter">LoRA update or null.</param>
    /// <returns>[B, T, H]; the caller owns it.</returns>
    public Tensor Forward(
        Tensor embedded,
        Tensor selfBias,
        System.Func<int, (Tensor Keys, Tensor Values)>? cross,
        Tensor? crossMask,
        T5DecoderCache? cache,
        IProjectionUpdate? adapter)
    {
        var x = nn.functional.dropout(embedded, _dropout, training);
        for (int layer = 0; layer < _blocks.Length; layer++)
        {
            using var layerScope = NewDisposeScope();
            var keysValues = cross?.Invoke(layer);
            var next = _blocks[layer].Forward(x, selfBias, cache, layer, keysValues, crossMask, adapter);
            x.Dispose();
            x = next.MoveToOuterDisposeScope();
        }

        using (x)
        {
            using var normed = _finalNorm.Forward(x);
            return nn.functional.dropout(normed, _dropout, training);
        }
    }
}
