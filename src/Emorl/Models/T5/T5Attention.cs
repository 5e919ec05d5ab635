using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// T5 multi-head attention: q, k, v and o projections without bias and scores q·kᵀ with no 1/√d
/// scaling, because T5 folds that factor into the initialisation of q. The first layer of each
/// stack also owns the relative-position bias table that every layer of the stack adds.
/// </summary>
internal sealed class T5Attention : nn.Module
{
    private readonly T5Linear _query;
    private readonly T5Linear _key;
    private readonly T5Linear _value;
    private readonly T5Linear _output;
    private readonly Embedding? _relativeBias;
    private readonly T5Options _options;
    private readonly bool _bidirectional;

    public T5Attention(string path, T5Options options, bool hasRelativeBias, bool bidirectional) : base(path)
    {
        int model = options.ModelSize;
        int inner = options.InnerAttentionSize;
        _options = options;
        _bidirectional = bidirectional;

        // Hugging Face's T5PreTrainedModel._init_weights with factor 1.
        _query = new T5Linear($"{path}.q", model, inner, Math.Pow(model * (double)options.KeyValueSize, -0.5));
        _key = new T5Linear($"{path}.k", model, inner, Math.Pow(model, -0.5));
        _value = new T5Linear($"{path}.v", model, inner, Math.Pow(model, -0.5));
        _output = new T5Linear($"{path}.o", inner, model, Math.Pow(inner, -0.5));
        register_module("q", _query);
        register_module("k", _key);
        register_module("v", _value);
        register_module("o", _output);
        if (hasRelativeBias)
        {
            _relativeBias = nn.Embedding(options.RelativeAttentionBucketCount, options.HeadCount);
            using (no_grad())
            {
                nn.init.normal_(_relativeBias.weight!, 0, Math.Pow(model, -0.5));
            }

            register_module("relative_attention_bias", _relativeBias);
        }
    }

    public T5Linear[] Projections => [_query, _key, _value, _output];

    /// <summary>
    /// Computes the relative-position bias for queries at positions offset .. offset + T − 1 and keys
    /// at 0 .. Tk − 1.
    /// </summary>
    /// <returns>[1, heads, T, Tk] float32; the caller owns it.</returns>
    /// <exception cref="InvalidOperationException">This layer has no bias table.</exception>
    public Tensor ComputeBias(long queryLength, long keyLength, long queryOffset, Device device)
    {
        if (_relativeBias is null)
        {
            throw new InvalidOperationException("This attention layer has no relative-position bias table; compute the bias with the first layer of the stack.");
        }

        using var queries = arange(queryOffset, queryOffset + queryLength, device: device).unsqueeze(1);   // [T, 1]
        using var keys = arange(keyLength, device: device).unsqueeze(0);                                     // [1, Tk]
        using var relative = keys.sub(queries);                                                               // [T, Tk]
        using var buckets = T5RelativePosition.Buckets(
            relative, _bidirectional, _options.RelativeAttentionBucketCount, _options.RelativeAttentionMaxDistance);
        using var values = _relativeBias.forward(buckets);                                                    // [T, Tk, heads]
        return values.permute(2, 0, 1).unsqueeze(0);                                                          // [1, heads, T, Tk]
    }

    /// <summary>Projects hidden states to keys or values split into heads.</summary>
    /// <param name="input">[B, Tk, H].</param>
    /// <param name="projectValues">False for keys (k), true for values (v).</param>
    /// <param name="adapter">LoRA update or null.</param>
    /// <returns>[B, heads, Tk, d_kv]; the caller owns it.</returns>
    public Tensor ProjectKeysOrValues(Tensor input, bool projectValues, IProjectionUpdate? adapter)
    {
        using var projected = (projectValues ? _value : _key).Forward(input, adapter);      // [B, Tk, inner]
        return SplitHeads(projected);
    }

    /// <summary>Attends from <paramref name="input"/> to the given keys and values.</summary>
    /// <param name="input">Queries' hidden states, [B, T, H].</param>
    /// <param name="keys">[B, heads, Tk, d_kv].</param>
    /// <param name="values">[B, heads, Tk, d_kv].</param>
    /// <param name="bias">Position bias plus additive mask, broadcastable to [B, heads, T, Tk].</param>
    /// <param name="adapter">LoRA update or null.</param>
    /// <returns>[B, T, H]; the caller owns it.</returns>
    public Tensor Attend(Tensor input, Tensor keys, Tensor values, Tensor bias, IProjectionUpdate? adapter)
    {
        long batch = input.shape[0];
        long time = input.shape[1];
        using var projected = _query.Forward(input, adapter);                                // [B, T, inner]
        using var query = SplitHeads(projected);                                             // [B, heads, T, d_kv]
        using var scores = matmul(query, keys.transpose(-2, -1)).add_(bias);               // [B, heads, T, Tk]
        using var weights = nn.functional.softmax(scores, -1);
        using var dropped = nn.functional.dropout(weights, _options.Dropout, training);
        using var context = matmul(dropped, values);                                         // [B, heads, T, d_kv]
        using var merged = context.transpose(1, 2).reshape(batch, time, _options.InnerAttentionSize);
        return _output.Forward(merged, adapter);
    }

    private Tensor SplitHeads(Tensor projected) =>
        projected.view(projected.shape[0], projected.shape[1], _options.HeadCount, _options.KeyValueSize).transpose(1, 2);
}
