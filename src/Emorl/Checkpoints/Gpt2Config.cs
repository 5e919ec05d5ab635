using System;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using System.Text.Json.Nodes;
using Emorl.Models;

namespace Emorl.Checkpoints;

/// <summary>Maps Hugging Face's <c>GPT2Config</c> (config.json) to <see cref="Gpt2Options"/> and back.</summary>
/// <remarks>
/// Keys and defaults follow transformers' GPT2Config: n_positions (older files: n_ctx), n_embd,
/// n_layer, n_head, vocab_size, layer_norm_epsilon (1e-5), resid_pdrop (0.1), activation_function
/// ("gelu_new"), n_inner (null, meaning 4 · n_embd), tie_word_embeddings (true). Settings that change
/// the architecture away from what <see cref="Gpt2Model"/> computes are rejected, each with its key.
/// </remarks>
internal static class Gpt2Config
{
    // GELU with the tanh approximation; transformers names it in these three ways.
    private static readonly string[] s_tanhGelu = ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"];

    public static Gpt2Options Read(string path)
    {
        var config = JsonConfigFile.Read(path);
        var problems = new List<string>();
        string? type = config.Read<string>("model_type");
        if (type is not null && type != "gpt2")
        {
            // Another architecture's keys differ, so its other problems would only mislead.
            throw new InvalidDataException(type == "t5"
                ? $"'{path}' has model_type \"t5\"; load T5 checkpoints with T5Checkpoint.LoadModel, or either architecture with ModelCheckpoint.LoadModel."
                : $"'{path}' has model_type \"{type}\"; this loader reads GPT-2 checkpoints (model_type \"gpt2\").");
        }

        int hidden = config.ReadInt("n_embd");
        string activation = config.Read<string>("activation_function") ?? "gelu_new";
        if (!s_tanhGelu.Contains(activation, StringComparer.Ordinal))
        {
            problems.Add($"activation_function is \"{activation}\"; the model computes {string.Join(", ", s_tanhGelu)} (GELU, tanh approximation)");
        }

        int? inner = config.Read<int?>("n_inner");
        if (inner is not null && inner != 4 * hidden)
        {
            problems.Add($"n_inner is {inner}; the model's MLP width is 4 · n_embd = {4 * hidden}");
        }

        CheckFlag(config, "tie_word_embeddings", expected: true, "the LM head is the token embedding", problems);
        CheckFlag(config, "scale_attn_weights", expected: true, "attention scores are divided by √(head size)", problems);
        CheckFlag(config, "scale_attn_by_inverse_layer_idx", expected: false, "attention is not scaled by layer index", problems);
        CheckFlag(config, "add_cross_attention", expected: false, "the model has no cross-attention", problems);
        if (problems.Count > 0)
        {
            throw new InvalidDataException(
                $"'{path}' describes a model this library cannot run: {string.Join("; ", problems)}.");
        }

        var options = new Gpt2Options
        {
            VocabularySize = config.ReadInt("vocab_size"),
            ContextLength = config.Read<int?>("n_positions") ?? config.Read<int?>("n_ctx")
                ?? throw new InvalidDataException($"'{path}' has neither \"n_positions\" nor \"n_ctx\"; add the context length."),
            HiddenSize = hidden,
            LayerCount = config.ReadInt("n_layer"),
            HeadCount = config.ReadInt("n_head"),
            LayerNormEpsilon = config.Read<double?>("layer_norm_epsilon") ?? 1e-5,
            Dropout = config.Read<double?>("resid_pdrop") ?? 0.1,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new InvalidDataException($"'{path}' has invalid sizes: {error.Message}", error);
        }

        return options;
    }

    public static JsonObject Write(Gpt2Options options) => new()
    {
        ["model_type"] = "gpt2",
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["vocab_size"] = options.VocabularySize,
        ["n_positions"] = options.ContextLength,
        ["n_ctx"] = options.ContextLength,
        ["n_embd"] = options.HiddenSize,
        ["n_layer"] = options.LayerCount,
        ["n_head"] = options.HeadCount,
        ["n_inner"] = null,
        ["layer_norm_epsilon"] = options.LayerNormEpsilon,
        ["resid_pdrop"] = options.Dropout,
        ["embd_pdrop"] = options.Dropout,
        ["attn_pdrop"] = options.Dropout,
        ["activation_function"] = "gelu_new",
        ["scale_attn_weights"] = true,
        ["tie_word_embeddings"] = true,
        ["torch_dtype"] = "float32",
    };

    private static void CheckFlag(JsonConfigFile config, string key, bool expected, string reason, List<string> problems)
    {
        bool? value = config.Read<bool?>(key);
        if (value is not null && value != expected)
        {
            problems.Add($"{key} is {(value.Value ? "true" : "false")}; this model needs {(expected ? "true" : "false")} ({reason})");
        }
    }
}
