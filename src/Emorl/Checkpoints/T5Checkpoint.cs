using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Emorl.Models.T5;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>Saves and loads T5 models in Hugging Face's directory layout.</summary>
/// <remarks>
/// <para>
/// A directory holds <c>config.json</c> (T5Config keys: <c>d_model</c>, <c>num_layers</c>,
/// <c>feed_forward_proj</c>, ...) and <c>model.safetensors</c> with Hugging Face's
/// <c>T5ForConditionalGeneration</c> keys, such as <c>shared.weight</c>,
/// <c>encoder.block.0.layer.0.SelfAttention.q.weight</c> (stored [out, in]),
/// <c>encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight</c> and
/// <c>decoder.block.0.layer.2.DenseReluDense.wo.weight</c>; <c>lm_head.weight</c> only when the
/// head is untied. docs/t5.md lists the whole layout.
/// </para>
/// <para>
/// Tied weights are stored once, under <c>shared.weight</c>. On loading, the copies some exports
/// add (<c>encoder.embed_tokens.weight</c>, <c>decoder.embed_tokens.weight</c> and, for a tied head,
/// <c>lm_head.weight</c>) are accepted when they equal <c>shared.weight</c>, and stand in for it when
/// it is absent. Loading is otherwise strict: missing, unexpected and misshapen tensors are listed
/// together in one error.
/// </para>
/// </remarks>
public static partial class T5Checkpoint
{
    /// <summary>The weights file of a model directory.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The configuration file of a model directory.</summary>
    public const string ConfigFileName = "config.json";

    private const string SharedKey = "shared.weight";
    private const string HeadKey = "lm_head.weight";
    private static readonly string[] s_embeddingCopies = ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"];

    /// <summary>Saves a model's configuration and weights into a directory.</summary>
    /// <param name="model">The model.</param>
    /// <param name="directory">
    /// The directory, created if missing. It is replaced as a whole with a manifest of checksums
    /// (see <see cref="CheckpointManifest"/>), so a crash leaves the previous checkpoint intact;
    /// other files in it are kept.
    /// </param>
    public static void SaveModel(T5Model model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CheckpointDirectory.Save(directory, staging => WriteModel(model, staging));
    }

    private static void WriteModel(T5Model model, string directory)
    {
        T5ConfigFile.Write(Path.Combine(directory, ConfigFileName), model.Options);
        SafetensorsFile.Write(
            Path.Combine(directory, ModelFileName),
            model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)),
            new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Loads a model saved by <see cref="SaveModel"/> or by Hugging Face's <c>save_pretrained</c>.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="logger">Receives a Debug message when the directory has no checkpoint manifest; null for none.</param>
    /// <returns>The model in evaluation mode, weights as float32; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">config.json or model.safetensors is missing.</exception>
    /// <exception cref="InvalidDataException">
    /// The configuration is invalid, the weights file is truncated or damaged, or its tensors do not
    /// match the configured model. The message lists every missing, unexpected and misshapen key.
    /// </exception>
    public static T5Model LoadModel(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CheckpointManifest.VerifyDirectory(directory, logger);
        var options = T5ConfigFile.Read(Path.Combine(directory, ConfigFileName));
        string weightsPath = Path.Combine(directory, ModelFileName);
        if (!File.Exists(weightsPath))
        {
            throw new FileNotFoundException($"'{weightsPath}' is missing; the directory needs {ModelFileName}.", weightsPath);
        }

        var loaded = SafetensorsFile.Read(weightsPath);
        var model = new T5Model(options, seed: 0);
        try
        {
            ResolveTiedCopies(weightsPath, loaded, options.TieWordEmbeddings);
            CopyStrict(weightsPath, model, loaded);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var value in loaded.Values)
            {
                value.Dispose();
            }
        }

        model.eval();
        return model;
    }

    /// <summary>Removes the copies of tied weights, after checking that they equal the shared embedding.</summary>
    private static void ResolveTiedCopies(string source, Dictionary<string, Tensor> loaded, bool tied)
    {
        var copies = tied ? s_embeddingCopies.Append(HeadKey) : s_embeddingCopies;
        var present = copies.Where(loaded.ContainsKey).ToArray();
        if (!loaded.ContainsKey(SharedKey) && present.Length > 0)
        {
            loaded[SharedKey] = loaded[present[0]];
            loaded.Remove(present[0]);
            present = present[1..];
        }

        if (!loaded.TryGetValue(SharedKey, out var shared))
        {
            return;
        }

        foreach (var key in present)
        {
            using var copy = loaded[key];
            loaded.Remove(key);
            if (!copy.shape.SequenceEqual(shared.shape) || !copy.allclose(shared, rtol: 0, atol: 0))
            {
                throw new InvalidDataException(
                    $"'{source}' holds {key} [{string.Join(", ", copy.shape)}], which differs from {SharedKey} " +
                    $"[{string.Join(", ", shared.shape)}], but T5 ties them" +
                    (key == HeadKey ? "; set \"tie_word_embeddings\" to false in config.json if the head is separate." : "."));
            }
        }
    }

    private static void CopyStrict(string source, T5Model model, Dictionary<string, Tensor> loaded)
    {
        var targets = model.named_parameters().Select(p => (Name: p.name, Value: (Tensor)p.parameter)).ToList();
        var missing = targets.Where(t => !loaded.ContainsKey(t.Name)).Select(t => t.Name).ToArray();
        var unexpected = loaded.Keys.Except(targets.Select(t => t.Name)).Order(StringComparer.Ordinal).ToArray();
        var misshapen = targets
            .Where(t => loaded.TryGetValue(t.Name, out var v) && !v.shape.SequenceEqual(t.Value.shape))
            .Select(t => $"{t.Name} is [{string.Join(", ", loaded[t.Name].shape)}], expected [{string.Join(", ", t.Value.shape)}]")
            .ToArray();
        if (missing.Length + unexpected.Length + misshapen.Length > 0)
        {
            throw new InvalidDataException(
                $"'{source}' does not match the T5 model its config.json describes " +
                $"({model.Options.EncoderLayerCount} + {model.Options.DecoderLayerCount} layers, d_model " +
                $"{model.Options.ModelSize}, feed-forward {model.Options.FeedForward}, tied head " +
                $"{model.Options.TieWordEmbeddings}). Missing: [{string.Join(", ", missing)}]. " +
                $"Unexpected: [{string.Join(", ", unexpected)}]. Wrong shape: [{string.Join("; ", misshapen)}]. " +
                "Fix config.json or use the weights saved with it.");
        }

        using var noGrad = no_grad();
        foreach (var (name, value) in targets)
        {
            value.copy_(loaded[name]);
        }
    }
}
