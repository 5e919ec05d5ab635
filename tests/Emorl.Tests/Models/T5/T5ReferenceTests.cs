using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Emorl.Checkpoints;
using Emorl.Models.T5;
using static TorchSharp.torch;

namespace Emorl.Tests.Models.T5;

/// <summary>
/// Compares the model's logits with a plain re-implementation of T5's equations, one row and one
/// head at a time, computed from the same weights the checkpoint fixture writes.
/// </summary>
[Collection("Torch")]
public sealed class T5ReferenceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emorl-t5-ref-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(T5FeedForwardKind.Relu, true)]
    [InlineData(T5FeedForwardKind.GatedGelu, false)]
    public void LogitsMatchPlainEquations(T5FeedForwardKind feedForward, bool tied)
    {
        var options = TinyT5.Options(feedForward, tied);
        var written = TinyT5.WriteHuggingFaceDirectory(_directory, options, seed: 21);
        var weights = written.ToDictionary(e => e.Key, e => tensor(e.Value.Values, e.Value.Shape));
        using var model = T5Checkpoint.LoadModel(_directory);
        int[][] prompts = [[3, 14, 15, 9, 26, 1], [5, 35, 1]];
        int[] target = [0, 7, 12, 4];
        var (tokens, mask) = TinyT5.PadRight(prompts);
        using var promptTokens = tokens;
        using var promptMask = mask;
        using var decoderTokens = tensor(target.Concat(target).Select(t => (long)t).ToArray(), [2, target.Length]);

        using var logits = model.Forward(promptTokens, promptMask, decoderTokens, null);      // [B, T, V]

        for (int row = 0; row < prompts.Length; row++)
        {
            using var expected = ReferenceLogits(weights, options, prompts[row], target);
            using var actual = logits[row];
            using var difference = actual.sub(expected).abs().max();
            Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-4), $"row {row}: max difference {difference.item<float>()}");
        }

        foreach (var value in weights.Values)
        {
            value.Dispose();
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Tensor ReferenceLogits(Dictionary<string, Tensor> w, T5Options o, int[] prompt, int[] target)
    {
        using var scope = NewDisposeScope();
        var x = w["shared.weight"][tensor(prompt.Select(t => (long)t).ToArray())];               // [S, H]
        var encoderBias = Bias(w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], o, prompt.Length, true);
        for (int i = 0; i < o.EncoderLayerCount; i++)
        {
            string p = $"encoder.block.{i}.layer";
            var h = Rms(x, w[$"{p}.0.layer_norm.weight"]);
            x = x + Attention(w, o, $"{p}.0.SelfAttention", h, h, encoderBias, causal: false);
            x = x + FeedForward(w, o, $"{p}.1.DenseReluDense", Rms(x, w[$"{p}.1.layer_norm.weight"]));
        }

        var encoded = Rms(x, w["encoder.final_layer_norm.weight"]);
        var y = w["shared.weight"][tensor(target.Select(t => (long)t).ToArray())];                // [T, H]
        var decoderBias = Bias(w["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], o, target.Length, false);
        for (int i = 0; i < o.DecoderLayerCount; i++)
        {
            string p = $"decoder.block.{i}.layer";
            var h = Rms(y, w[$"{p}.0.layer_norm.weight"]);
            y = y + Attention(w, o, $"{p}.0.SelfAttention", h, h, decoderBias, causal: true);
            y = y + Attention(w, o, $"{p}.1.EncDecAttention", Rms(y, w[$"{p}.1.layer_norm.weight"]), encoded, null, causal: false);
            y = y + FeedForward(w, o, $"{p}.2.DenseReluDense", Rms(y, w[$"{p}.2.layer_norm.weight"]));
        }

        var output = Rms(y, w["decoder.final_layer_norm.weight"]);
        var result = o.TieWordEmbeddings
            ? matmul(output * (1.0 / Math.Sqrt(o.ModelSize)), w["shared.weight"].t())
            : matmul(output, w["lm_head.weight"].t());
        return result.MoveToOuterDisposeScope();
    }

    private static Tensor Rms(Tensor x, Tensor weight) =>
        x * (x * x).mean([-1L], keepdim: true).add(1e-6).rsqrt() * weight;

    /// <summary>Looks up the bias of every (query, key) pair from the scalar bucket rule: [heads, T, T].</summary>
    private static Tensor Bias(Tensor table, T5Options o, int length, bool bidirectional)
    {
        var buckets = new long[length * length];
        for (int q = 0; q < length; q++)
        {
            for (int k = 0; k < length; k++)
            {
                buckets[q * length + k] = T5RelativePositionTests.ScalarBucket(
                    k - q, bidirectional, o.RelativeAttentionBucketCount, o.RelativeAttentionMaxDistance);
            }
        }

        return table[tensor(buckets)].reshape(length, length, o.HeadCount).permute(2, 0, 1);
    }

    /// <summary>Computes softmax(q kᵀ + bias) v per head, with no 1/√d scaling, then the output projection.</summary>
    private static Tensor Attention(
        Dictionary<string, Tensor> w, T5Options o, string prefix, Tensor queries, Tensor keysValues, Tensor? bias, bool causal)
    {
        var q = matmul(queries, w[$"{prefix}.q.weight"].t());
        var k = matmul(keysValues, w[$"{prefix}.k.weight"].t());
        var v = matmul(keysValues, w[$"{prefix}.v.weight"].t());
        var heads = new List<Tensor>();
        for (int head = 0; head < o.HeadCount; head++)
        {
            var columns = arange(head * o.KeyValueSize, (head + 1) * o.KeyValueSize);
            var scores = matmul(q.index_select(1, columns), k.index_select(1, columns).t());     // [T, Tk]
            if (bias is not null)
            {
                scores = scores + bias[head];
            }

            if (causal)
            {
                var future = ones(scores.shape, ScalarType.Bool).triu(1);
                scores = scores.masked_fill(future, float.NegativeInfinity);
            }

            heads.Add(matmul(scores.softmax(-1), v.index_select(1, columns)));
        }

        return matmul(cat(heads, 1), w[$"{prefix}.o.weight"].t());
    }

    private static Tensor FeedForward(Dictionary<string, Tensor> w, T5Options o, string prefix, Tensor x)
    {
        Tensor inner;
        if (o.FeedForward == T5FeedForwardKind.Relu)
        {
            inner = matmul(x, w[$"{prefix}.wi.weight"].t()).clamp_min(0);
        }
        else
        {
            var gate = matmul(x, w[$"{prefix}.wi_0.weight"].t());
            var gelu = 0.5 * gate * (1 + (Math.Sqrt(2 / Math.PI) * (gate + 0.044715 * gate.pow(3))).tanh());
            inner = gelu * matmul(x, w[$"{prefix}.wi_1.weight"].t());
        }

        return matmul(inner, w[$"{prefix}.wo.weight"].t());
    }
}
