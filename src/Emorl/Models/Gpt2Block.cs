using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>One pre-norm GPT-2 transformer block: causal self-attention then a GELU MLP.</summary>
internal sealed class Gpt2Block : nn.Module
{
    private readonly LayerNorm _norm1;
    private readonly LayerNorm _norm2;
    private readonly Projection _attentionInput;
    private readonly Projection _attentionOutput;
    private readonly Projection _mlpInput;
    private readonly Projection _mlpOutput;
    private readonly int _headCount;
    private readonly int _headSize;
    private readonly double _dropout;

    public Gpt2Block(int index, Gpt2Options options) : base($"h.{index}")
    {
        int hidden = options.HiddenSize;
        double std = 0.02;
        // GPT-2 scales the residual projections' initialisation by 1/sqrt(2 · layers).
        double residualStd = std / Math.Sqrt(2.0 * options.LayerCount);
        string prefix = $"h.{index}";
        _headCount = options.HeadCount;
        _headSize = hidden / options.HeadCount;
        _dropout = options.Dropout;
        _norm1 = nn.LayerNorm(hidden, options.LayerNormEpsilon);
        _norm2 = nn.LayerNorm(hidden, options.LayerNormEpsilon);
        _attentionInput = new Projection($"{prefix}.attn.c_attn", hidden, 3 * hidden, std);
        _attentionOutput = new Projection($"{prefix}.attn.c_proj", hidden, hidden, residualStd);
        _mlpInput = new Projection($"{prefix}.mlp.c_fc", hidden, 4 * hidden, std);
        _mlpOutput = new Projection($"{prefix}.mlp.c_proj", 4 * hidden, hidden, residualStd);

        register_module("ln_1", _norm1);
        register_module("ln_2", _norm2);
        register_module("attn", new NamedModules(("c_attn", _attentionInput), ("c_proj", _attentionOutput)));
        register_module("mlp", new NamedModules(("c_fc", _mlpInput), ("c_proj", _mlpOutput)));
    }

    public Projection[] Projections => [_attentionInput, _attentionOutput, _mlpInput, _mlpOutput];

    /// <summary>Runs the block.</summary>
    /// <param name="x">[B, T, H].</param>
    /// <param name="mask">Additive attention mask, [B, 1, T, Tk] with Tk = cached + T.</param>
    /// <param name="cache">Cache to read and extend, or null to attend only within <paramref name="x"/>.</param>
    /// <param name="layer">This block's index in the cache.</param>
    /// <param name="adapter">LoRA adapter or null.</param>
    /// <returns>[B, T, H]; the caller owns it.</returns>
    public Tensor Forward(Tensor x, Tensor mask, KeyValueCache? cache, int layer, IProjectionUpdate? adapter)
    {
        long batch = x.shape[0];
        long time = x.shape[1];
        long hidden = x.shape[2];

        using var normed1 = _norm1.forward(x);
        using var qkv = _attentionInput.Forward(normed1, adapter);                          // [B, T, 3H]
        var parts = qkv.view(batch, time, 3, _headCount, _headSize).permute(2, 0, 3, 1, 4); // [3, B, nh, T, hs]
        using var query = parts[0];
        using var newKeys = parts[1];
        using var newValues = parts[2];
        parts.Dispose();

        Tensor keys = newKeys;
        Tensor values = newValues;
        if (cache is not null)
        {
            (keys, values) = cache.Append(layer, newKeys, newValues);                      // [B, nh, Tk, hs]
        }

        using var scores = matmul(query, keys.transpose(-2, -1)).div_(Math.Sqrt(_headSize)).add_(mask);
        using var weights = nn.functional.softmax(scores, -1);
        using var dropped = nn.functional.dropout(weights, _dropout, training);
        using var context = matmul(dropped, values).transpose(1, 2).reshape(batch, time, hidden);
        using var attended = _attentionOutput.Forward(context, adapter);
        using var attendedDropped = nn.functional.dropout(attended, _dropout, training);
        var residual = x.add(attendedDropped);

        using var normed2 = _norm2.forward(residual);
        using var expanded = _mlpInput.Forward(normed2, adapter);
        using var activated = nn.functional.gelu(expanded, GELU.Approximate.tanh);
        using var contracted = _mlpOutput.Forward(activated, adapter);
        using var contractedDropped = nn.functional.dropout(contracted, _dropout, training);
        using (residual)
        {
            return residual.add(contractedDropped);
        }
    }
}
