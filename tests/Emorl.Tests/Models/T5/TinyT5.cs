using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Emorl.Models;
using Emorl.Models.T5;
using static TorchSharp.torch;

namespace Emorl.Tests.Models.T5;

/// <summary>
/// Small T5 models for tests, and a writer of Hugging Face T5 directories that builds every key
/// name and the safetensors bytes itself, so checkpoint tests do not depend on the code they test.
/// </summary>
internal static class TinyT5
{
    public const int Vocabulary = 40;

    /// <summary>Returns a shape with d_kv · heads ≠ d_model and more decoder than encoder layers.</summary>
    public static T5Options Options(T5FeedForwardKind feedForward = T5FeedForwardKind.Relu, bool tied = true) => new()
    {
        VocabularySize = Vocabulary,
        ModelSize = 16,
        KeyValueSize = 6,
        FeedForwardSize = 24,
        EncoderLayerCount = 2,
        DecoderLayerCount = 3,
        HeadCount = 2,
        RelativeAttentionBucketCount = 8,
        RelativeAttentionMaxDistance = 16,
        FeedForward = feedForward,
        TieWordEmbeddings = tied,
        Dropout = 0,
    };

    public static T5Model Create(T5Options? options = null, long seed = 5)
    {
        var model = new T5Model(options ?? Options(), seed);
        model.eval();
        return model;
    }

    /// <summary>Gives every B factor noise so the adapter changes the model's output.</summary>
    public static LoraAdapter PerturbedAdapter(T5Model model, long seed)
    {
        var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0 }, seed);
        using (no_grad())
        {
            var generator = new Generator((ulong)seed + 1000);
            foreach (var (name, value) in adapter.NamedFactors())
            {
                if (name.EndsWith("lora_B.weight", StringComparison.Ordinal))
                {
                    using var noise = randn(value.shape, generator: generator).mul_(0.5);
                    value.copy_(noise);
                }
            }
        }

        return adapter;
    }

    public static IReadOnlyList<IReadOnlyList<int>> Prompts() =>
    [
        new[] { 3, 14, 15, 9, 26, 1 },
        new[] { 5, 35, 1 },
        new[] { 8, 9, 7, 9, 3, 2, 3, 8, 4, 1 },
    ];

    /// <summary>Lists every tensor of T5ForConditionalGeneration in Hugging Face's names, with its shape.</summary>
    public static List<(string Key, long[] Shape)> HuggingFaceKeys(T5Options o)
    {
        int inner = o.HeadCount * o.KeyValueSize;
        var keys = new List<(string, long[])> { ("shared.weight", [o.VocabularySize, o.ModelSize]) };
        foreach (var (stack, layers) in new[] { ("encoder", o.EncoderLayerCount), ("decoder", o.DecoderLayerCount) })
        {
            bool decoder = stack == "decoder";
            for (int i = 0; i < layers; i++)
            {
                string block = $"{stack}.block.{i}.layer";
                AddAttention(keys, $"{block}.0.SelfAttention", o.ModelSize, inner);
                if (i == 0)
                {
                    keys.Add(($"{block}.0.SelfAttention.relative_attention_bias.weight", [o.RelativeAttentionBucketCount, o.HeadCount]));
                }

                keys.Add(($"{block}.0.layer_norm.weight", [o.ModelSize]));
                if (decoder)
                {
                    AddAttention(keys, $"{block}.1.EncDecAttention", o.ModelSize, inner);
                    keys.Add(($"{block}.1.layer_norm.weight", [o.ModelSize]));
                }

                string feedForward = $"{block}.{(decoder ? 2 : 1)}";
                if (o.FeedForward == T5FeedForwardKind.GatedGelu)
                {
                    keys.Add(($"{feedForward}.DenseReluDense.wi_0.weight", [o.FeedForwardSize, o.ModelSize]));
                    keys.Add(($"{feedForward}.DenseReluDense.wi_1.weight", [o.FeedForwardSize, o.ModelSize]));
                }
                else
                {
                    keys.Add(($"{feedForward}.DenseReluDense.wi.weight", [o.FeedForwardSize, o.ModelSize]));
                }

                keys.Add(($"{feedForward}.DenseReluDense.wo.weight", [o.ModelSize, o.FeedForwardSize]));
                keys.Add(($"{feedForward}.layer_norm.weight", [o.ModelSize]));
            }

            keys.Add(($"{stack}.final_layer_norm.weight", [o.ModelSize]));
        }

        if (!o.TieWordEmbeddings)
        {
            keys.Add(("lm_head.weight", [o.VocabularySize, o.ModelSize]));
        }

        return keys;
    }

    private static void AddAttention(List<(string, long[])> keys, string prefix, int model, int inner)
    {
        keys.Add(($"{prefix}.q.weight", [inner, model]));
        keys.Add(($"{prefix}.k.weight", [inner, model]));
        keys.Add(($"{prefix}.v.weight", [inner, model]));
        keys.Add(($"{prefix}.o.weight", [model, inner]));
    }

    /// <summary>Returns seeded random values for every key, as a Hugging Face export would hold them.</summary>
    public static Dictionary<string, (long[] Shape, float[] Values)> RandomWeights(T5Options options, int seed)
    {
        var random = new Random(seed);
        var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var (key, shape) in HuggingFaceKeys(options))
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            bool isNorm = key.EndsWith("layer_norm.weight", StringComparison.Ordinal);
            result[key] = (shape, Enumerable.Range(0, (int)count)
                .Select(_ => isNorm ? 1f + 0.1f * (float)(random.NextDouble() - 0.5) : 0.4f * (float)(random.NextDouble() - 0.5))
                .ToArray());
        }

        return result;
    }

    /// <summary>Writes config.json with T5Config keys; <paramref name="overrides"/> replace or add keys.</summary>
    public static void WriteConfig(string directory, T5Options o, IReadOnlyDictionary<string, object>? overrides = null)
    {
        var config = new Dictionary<string, object>
        {
            ["architectures"] = new[] { "T5ForConditionalGeneration" },
            ["model_type"] = "t5",
            ["vocab_size"] = o.VocabularySize,
            ["d_model"] = o.ModelSize,
            ["d_kv"] = o.KeyValueSize,
            ["d_ff"] = o.FeedForwardSize,
            ["num_layers"] = o.EncoderLayerCount,
            ["num_decoder_layers"] = o.DecoderLayerCount,
            ["num_heads"] = o.HeadCount,
            ["relative_attention_num_buckets"] = o.RelativeAttentionBucketCount,
            ["relative_attention_max_distance"] = o.RelativeAttentionMaxDistance,
            ["dropout_rate"] = 0.1,
            ["layer_norm_epsilon"] = 1e-6,
            ["feed_forward_proj"] = o.FeedForward == T5FeedForwardKind.GatedGelu ? "gated-gelu" : "relu",
            ["tie_word_embeddings"] = o.TieWordEmbeddings,
            ["decoder_start_token_id"] = 0,
            ["eos_token_id"] = 1,
            ["pad_token_id"] = 0,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, object>())
        {
            config[key] = value;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config));
    }

    /// <summary>Writes float32 tensors in the safetensors layout: header length, JSON header, data.</summary>
    public static void WriteSafetensors(string path, IReadOnlyDictionary<string, (long[] Shape, float[] Values)> tensors)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var data = new MemoryStream();
        foreach (var (key, (shape, values)) in tensors)
        {
            long start = data.Length;
            foreach (float value in values)
            {
                data.Write(BitConverter.GetBytes(value));
            }

            header[key] = new { dtype = "F32", shape, data_offsets = new[] { start, data.Length } };
        }

        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padding = (8 - json.Length % 8) % 8;
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((long)(json.Length + padding)));
        file.Write(json);
        file.Write(Enumerable.Repeat((byte)' ', padding).ToArray());
        data.Position = 0;
        data.CopyTo(file);
    }

    /// <summary>Writes a whole Hugging Face T5 directory and returns the values it wrote.</summary>
    public static Dictionary<string, (long[] Shape, float[] Values)> WriteHuggingFaceDirectory(
        string directory, T5Options options, int seed = 3)
    {
        var weights = RandomWeights(options, seed);
        WriteConfig(directory, options);
        WriteSafetensors(Path.Combine(directory, "model.safetensors"), weights);
        return weights;
    }

    /// <summary>Builds a [B, S] prompt batch padded on the right, and its mask.</summary>
    public static (Tensor Tokens, Tensor Mask) PadRight(IReadOnlyList<IReadOnlyList<int>> prompts)
    {
        int length = prompts.Max(p => p.Count);
        var tokens = new long[prompts.Count * length];
        var mask = new bool[prompts.Count * length];
        for (int row = 0; row < prompts.Count; row++)
        {
            for (int i = 0; i < prompts[row].Count; i++)
            {
                tokens[row * length + i] = prompts[row][i];
                mask[row * length + i] = true;
            }
        }

        return (tensor(tokens, [prompts.Count, length]), tensor(mask, [prompts.Count, length]));
    }
}
