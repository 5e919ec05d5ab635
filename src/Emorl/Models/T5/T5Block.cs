using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// One pre-norm T5 layer: self-attention, then (decoder only) cross-attention over the encoder's
/// output, then the feed-forward block, each added to the residual stream.
/// </summary>
/// <remarks>
/// Sub-layers are registered as Hugging Face names them: <c>layer.0.SelfAttention</c>,
/// <c>layer.1.EncDecAttention</c> (decoder), and <c>layer.1.DenseReluDense</c> (encoder) or
/// <c>layer.2.DenseReluDense</c> (decoder), each with its own <c>layer_norm</c>.
/// </remarks>
internal sealed class T5Block : nn.Module
{
    private readonly T5LayerNorm _selfNorm;
    private readonly T5LayerNorm? _crossNorm;
    private readonly T5LayerNorm _feedForwardNorm;
    private readonly T5FeedForward _feedForward;
    private readonly double _dropout;

    public T5Block(string path, T5Options options, bool isDecoder, bool hasRelativeBias) : base(path)
    {
        _dropout = options.Dropout;
        double epsilon = options.LayerNormEpsilon;
        SelfAttention = new T5Attention($"{path}.layer.0.SelfAttention", options, hasRelativeBias, bidirectional: !isDecoder);
        _selfNorm = new T5LayerNorm(options.ModelSize, epsilon);
        var layers = new List<(string, nn.Module)>
        {
            ("0", new NamedModules(("SelfAttention", SelfAttention), ("layer_norm", _selfNorm))),
        };

        if (isDecoder)
        {
            CrossAttention = new T5Attention($"{path}.layer.1.EncDecAttention", options, hasRelativeBias: false, bidirectional: true);
            _crossNorm = new T5LayerNorm(options.ModelSize, epsilon);
            layers.Add(("1", new NamedModules(("EncDecAttention", CrossAttention), ("layer_norm", _crossNorm))));
        }

        string feedForwardIndex = isDecoder ? "2" : "1";
        _feedForward = new T5FeedForward($"{path}.layer.{feedForwardIndex}.DenseReluDense", options);
        _feedForwardNorm = new T5LayerNorm(options.ModelSize, epsilon);
        layers.Add((feedForwardIndex, new NamedModules(("DenseReluDense", _feedForward), ("layer_norm", _feedForwardNorm))));
        register_module("layer", new NamedModules(layers.ToArray()));
    }

    public T5Attention SelfAttention { get; }

    /// <summary>Gets the cross-attention over the encoder's output; null in the encoder.</summary>
    public T5Attention? CrossAttention { get; }

    public IEnumerable<T5Linear> Projections
    {
        get
        {
            foreach (var projection in SelfAttention.Projections)
            {
                yield return projection;
            }

            foreach (var projection in CrossAttention?.Projections ?? [])
            {
                yield return projection;
            }

            foreach (var projection in _feedForward.Projections)
            {
                yield return projection;
            }
        }
    }

    /// <summary>Runs the layer.</summary>
    /// <param name="x">[B, T, H].</param>
    /// <param name="selfBias">Position bias plus additive mask, [B or 1, heads, T, Tk] with Tk = cached + T.</param>
    /// <param name="cache">Decoder cache to read and extend, or null.</param>
    /// <param name="layer">This layer's index in the cache.</param>
    /// <param name="cross">Cross-attention keys and values, [B, heads, S, d_kv] each; null in the encoder.</param>
    /// <param name="crossMask">Additive mask over the encoder's positions, [B, 1, 1, S]; null in the encoder.</param>
    /// <param name="adapter">LoRA update or null.</param>
    /// <returns>[B, T, H]; the caller owns it.</returns>
    public Tensor Forward(
        Tensor x,
        Tensor selfBias,
        T5DecoderCache? cache,
        int layer,
        (Tensor Keys, Tensor Values)? cross,
        Tensor? crossMask,
        IProjectionUpdate? adapter)
    {
        var residual = AddSelfAttention(x, selfBias, cache, layer, adapter);
        if (cross is { } keysValues)
        {
            using var normed = _crossNorm!.Forward(residual);
            using var attended = CrossAttention!.Attend(normed, keysValues.Keys, keysValues.Values, crossMask!, adapter);
            using var previous = residual;
            residual = AddDropped(previous, attended);
        }

        using (residual)
        {
            using var normed = _feedForwardNorm.Forward(residual);
            using var transformed = _feedForward.Forward(normed, adapter);
            return AddDropped(residual, transformed);
        }
    }

    private Tensor AddSelfAttention(Tensor x, Tensor selfBias, T5DecoderCache? cache, int layer, IProjectionUpdate? adapter)
    {
        using var normed = _selfNorm.Forward(x);
        using var newKeys = SelfAttention.ProjectKeysOrValues(normed, projectValues: false, adapter);   // [B, heads, T, d_kv]
        using var newValues = SelfAttention.ProjectKeysOrValues(normed, projectValues: true, adapter);
        var (keys, values) = cache is null ? (newKeys, newValues) : cache.AppendSelf(layer, newKeys, newValues);
        using var attended = SelfAttention.Attend(normed, keys, values, selfBias, adapter);
        return AddDropped(x, attended);
    }

    private Tensor AddDropped(Tensor residual, Tensor update)
    {
        using var dropped = nn.functional.dropout(update, _dropout, training);
        return residual.add(dropped);
    }
}
