using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using Emorl.Models.T5;

namespace Emorl.Checkpoints;

/// <summary>Reads and writes the <c>config.json</c> of a Hugging Face T5 directory.</summary>
/// <remarks>
/// Keys are those of Hugging Face's <c>T5Config</c>. The sizes (<c>vocab_size</c>, <c>d_model</c>,
/// <c>d_kv</c>, <c>d_ff</c>, <c>num_layers</c>, <c>num_heads</c>) are required; every other key
/// takes T5Config's default when absent, and <c>num_decoder_layers</c> defaults to <c>num_layers</c>.
/// </remarks>
internal static class T5ConfigFile
{
    private const string ReluName = "relu";
    private const string GatedGeluName = "gated-gelu";

    public static void Write(string path, T5Options options)
    {
        var config = new JsonObject
        {
            ["model_type"] = "t5",
            ["architectures"] = new JsonArray("T5ForConditionalGeneration"),
            ["is_encoder_decoder"] = true,
            ["vocab_size"] = options.VocabularySize,
            ["d_model"] = options.ModelSize,
            ["d_kv"] = options.KeyValueSize,
            ["d_ff"] = options.FeedForwardSize,
            ["num_layers"] = options.EncoderLayerCount,
            ["num_decoder_layers"] = options.DecoderLayerCount,
            ["num_heads"] = options.HeadCount,
            ["relative_attention_num_buckets"] = options.RelativeAttentionBucketCount,
            ["relative_attention_max_distance"] = options.RelativeAttentionMaxDistance,
            ["dropout_rate"] = options.Dropout,
            ["layer_norm_epsilon"] = options.LayerNormEpsilon,
            ["initializer_factor"] = 1.0,
            ["feed_forward_proj"] = options.FeedForward == T5FeedForwardKind.GatedGelu ? GatedGeluName : ReluName,
            ["tie_word_embeddings"] = options.TieWordEmbeddings,
            ["decoder_start_token_id"] = options.DecoderStartTokenId,
            ["eos_token_id"] = options.EndOfSequenceId,
            ["pad_token_id"] = options.PaddingId,
        };
        AtomicFile.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid T5 configuration.</exception>
    public static T5Options Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model configuration '{path}' is missing; a T5 directory needs config.json.", path);
        }

        var config = ReadJsonObject(path);
        string? type = ReadValue<string>(config, "model_type", path);
        if (type is not null && type != "t5")
        {
            throw new InvalidDataException($"'{path}' describes a '{type}' model; this loader reads T5 checkpoints (model_type \"t5\").");
        }

        int layers = ReadRequired<int>(config, "num_layers", path);
        var options = new T5Options
        {
            VocabularySize = ReadRequired<int>(config, "vocab_size", path),
            ModelSize = ReadRequired<int>(config, "d_model", path),
            KeyValueSize = ReadRequired<int>(config, "d_kv", path),
            FeedForwardSize = ReadRequired<int>(config, "d_ff", path),
            EncoderLayerCount = layers,
            DecoderLayerCount = ReadValue<int?>(config, "num_decoder_layers", path) ?? layers,
            HeadCount = ReadRequired<int>(config, "num_heads", path),
            RelativeAttentionBucketCount = ReadValue<int?>(config, "relative_attention_num_buckets", path) ?? 32,
            RelativeAttentionMaxDistance = ReadValue<int?>(config, "relative_attention_max_distance", path) ?? 128,
            Dropout = ReadValue<double?>(config, "dropout_rate", path) ?? 0.1,
            LayerNormEpsilon = ReadValue<double?>(config, "layer_norm_epsilon", path) ?? 1e-6,
            FeedForward = ParseFeedForward(ReadValue<string>(config, "feed_forward_proj", path) ?? ReluName, path),
            TieWordEmbeddings = ReadValue<bool?>(config, "tie_word_embeddings", path) ?? true,
            DecoderStartTokenId = ReadValue<int?>(config, "decoder_start_token_id", path) ?? 0,
            EndOfSequenceId = ReadValue<int?>(config, "eos_token_id", path) ?? 1,
            PaddingId = ReadValue<int?>(config, "pad_token_id", path) ?? 0,
        };

        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new InvalidDataException($"'{path}' contains invalid values for a T5 model. {error.Message}", error);
        }

        return options;
    }

    private static T5FeedForwardKind ParseFeedForward(string value, string path) => value switch
    {
        ReluName => T5FeedForwardKind.Relu,
        GatedGeluName => T5FeedForwardKind.GatedGelu,
        _ => throw new InvalidDataException(
            $"\"feed_forward_proj\" in '{path}' is \"{value}\"; supported values are \"{ReluName}\" (T5) and " +
            $"\"{GatedGeluName}\" (T5 v1.1, Flan-T5)."),
    };

    private static T ReadRequired<T>(JsonObject config, string key, string path)
        where T : struct =>
        ReadValue<T?>(config, key, path)
            ?? throw new InvalidDataException($"'{path}' has no \"{key}\"; add it or save the checkpoint again.");

    private static T? ReadValue<T>(JsonObject config, string key, string path)
    {
        try
        {
            var node = config[key];
            return node is null ? default : node.GetValue<T>();
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException)
        {
            string expected = Nullable.GetUnderlyingType(typeof(T))?.Name ?? typeof(T).Name;
            throw new InvalidDataException(
                $"\"{key}\" in '{path}' is {config[key]?.ToJsonString()}, which is not a valid {expected}; fix the value.",
                error);
        }
    }

    private static JsonObject ReadJsonObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"'{path}' does not hold a JSON object; save the checkpoint again.");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON ({error.Message}); save the checkpoint again.", error);
        }
    }
}
