using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using Emorl.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>
/// Saves and loads GPT-2 base models in Hugging Face's layout and LoRA adapters in PEFT's layout.
/// </summary>
/// <remarks>
/// A model directory contains <c>config.json</c> (GPT-2 keys: <c>n_embd</c>, <c>n_layer</c>, ...)
/// and <c>model.safetensors</c> with keys such as <c>transformer.h.0.attn.c_attn.weight</c>, stored
/// [in, out] as GPT-2's Conv1D does; the LM head is tied and not stored. An adapter directory contains
/// <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> with keys such as
/// <c>base_model.model.transformer.h.0.attn.c_attn.lora_A.weight</c>. Loading is strict: a missing,
/// unexpected or misshapen tensor raises an error that lists them. Each method takes an optional
/// logger, for example <c>loggerFactory.CreateLogger(typeof(Gpt2Checkpoint))</c>, and logs what it
/// saved or loaded, where, its size and time at Information.
/// </remarks>
public static class Gpt2Checkpoint
{
    /// <summary>The weights file of a model directory.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The configuration file of a model directory.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>The weights file of an adapter directory.</summary>
    public const string AdapterFileName = "adapter_model.safetensors";

    /// <summary>The configuration file of an adapter directory.</summary>
    public const string AdapterConfigFileName = "adapter_config.json";

    private const string ModelPrefix = "transformer.";
    private const string AdapterPrefix = "base_model.model.transformer.";

    /// <summary>Saves a model's configuration and weights into a directory.</summary>
    /// <param name="model">The model.</param>
    /// <param name="directory">The directory, created if missing; existing files are replaced atomically.</param>
    /// <param name="logger">Logs the parameter count, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">
    /// Checked between tensors. A canceled save leaves the weights file as it was before the call,
    /// but <c>config.json</c> may already hold the new configuration.
    /// </param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static void SaveModel(
        Gpt2Model model, string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        long started = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(directory);
        var options = model.Options;
        var config = new JsonObject
        {
            ["model_type"] = "gpt2",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["vocab_size"] = options.VocabularySize,
            ["n_positions"] = options.ContextLength,
            ["n_embd"] = options.HiddenSize,
            ["n_layer"] = options.LayerCount,
            ["n_head"] = options.HeadCount,
            ["layer_norm_epsilon"] = options.LayerNormEpsilon,
            ["resid_pdrop"] = options.Dropout,
            ["embd_pdrop"] = options.Dropout,
            ["attn_pdrop"] = options.Dropout,
            ["activation_function"] = "gelu_new",
            ["tie_word_embeddings"] = true,
        };
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFileName), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string weightsPath = Path.Combine(directory, ModelFileName);
        SafetensorsFile.Write(
            weightsPath,
            model.named_parameters().Select(p => (ModelPrefix + p.name, (Tensor)p.parameter)),
            new Dictionary<string, string> { ["format"] = "pt" },
            cancellationToken);
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long parameters = model.parameters().Sum(p => p.numel());
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            long bytes = new FileInfo(weightsPath).Length;
            CheckpointLog.ModelSaved(logger, parameters, bytes, directory, elapsedMs);
        }
    }

    /// <summary>Loads a model saved by <see cref="SaveModel"/> or a Hugging Face GPT-2 directory with the same keys.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="logger">Logs the model's shape, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors while reading.</param>
    /// <returns>The model in evaluation mode; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">The configuration or weights do not match a GPT-2 model.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static Gpt2Model LoadModel(
        string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        long started = Stopwatch.GetTimestamp();
        var options = ReadOptions(Path.Combine(directory, ConfigFileName));
        string weightsPath = RequireFile(directory, ModelFileName);
        var loaded = SafetensorsFile.Read(weightsPath, cancellationToken);
        var model = new Gpt2Model(options, seed: 0);
        try
        {
            var stripped = loaded.ToDictionary(
                e => e.Key.StartsWith(ModelPrefix, StringComparison.Ordinal) ? e.Key[ModelPrefix.Length..] : e.Key,
                e => e.Value,
                StringComparer.Ordinal);
            stripped.Remove("lm_head.weight");
            CopyStrict(weightsPath, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), stripped);
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
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long parameters = model.parameters().Sum(p => p.numel());
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            long bytes = new FileInfo(weightsPath).Length;
            CheckpointLog.ModelLoaded(
                logger,
                options.LayerCount,
                options.HiddenSize,
                options.VocabularySize,
                parameters,
                bytes,
                directory,
                elapsedMs);
        }

        return model;
    }

    /// <summary>Saves an adapter in PEFT's layout.</summary>
    /// <param name="adapter">The adapter.</param>
    /// <param name="directory">The directory, created if missing.</param>
    /// <param name="logger">Logs the rank, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">
    /// Checked between tensors. A canceled save leaves the weights file as it was before the call,
    /// but <c>adapter_config.json</c> may already hold the new configuration.
    /// </param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static void SaveAdapter(
        LoraAdapter adapter, string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        long started = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(directory);
        var targets = adapter.Targets.Select(t => t[(t.LastIndexOf('.') + 1)..]).Distinct().ToArray();
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = adapter.Options.Rank,
            ["lora_alpha"] = adapter.Options.Alpha,
            ["lora_dropout"] = adapter.Options.Dropout,
            ["bias"] = "none",
            ["fan_in_fan_out"] = true,
            ["target_modules"] = new JsonArray(targets.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(directory, AdapterConfigFileName), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string weightsPath = Path.Combine(directory, AdapterFileName);
        SafetensorsFile.Write(
            weightsPath,
            adapter.NamedFactors().Select(f => (AdapterPrefix + f.Name, f.Value)),
            new Dictionary<string, string> { ["format"] = "pt" },
            cancellationToken);
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            long bytes = new FileInfo(weightsPath).Length;
            int projections = adapter.Targets.Count;
            CheckpointLog.AdapterSaved(logger, adapter.Options.Rank, projections, bytes, directory, elapsedMs);
        }
    }

    /// <summary>Loads an adapter saved by <see cref="SaveAdapter"/> and checks it against its base model.</summary>
    /// <param name="directory">The adapter directory.</param>
    /// <param name="model">The base model the adapter was trained on.</param>
    /// <returns>The adapter; the caller owns it.</returns>
    /// <param name="logger">Logs the rank, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors while reading.</param>
    /// <exception cref="InvalidDataException">The adapter does not fit the model.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static LoraAdapter LoadAdapter(
        string directory, Gpt2Model model, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        long started = Stopwatch.GetTimestamp();
        string configPath = RequireFile(directory, AdapterConfigFileName);
        var config = ReadJsonObject(configPath);
        var options = new LoraOptions
        {
            Rank = ReadInt(config, "r", configPath),
            Alpha = ReadDouble(config, "lora_alpha", configPath),
            Dropout = ReadValue<double?>(config, "lora_dropout", configPath) ?? 0,
        };
        string weightsPath = RequireFile(directory, AdapterFileName);
        var loaded = SafetensorsFile.Read(weightsPath, cancellationToken);
        try
        {
            var expected = model.AdaptableProjections().ToDictionary(p => p.Path, StringComparer.Ordinal);
            var factors = new Dictionary<string, (Tensor A, Tensor B)>(StringComparer.Ordinal);
            var problems = new List<string>();
            foreach (var (path, inFeatures, outFeatures) in expected.Values)
            {
                bool hasA = loaded.TryGetValue($"{AdapterPrefix}{path}.lora_A.weight", out var a);
                bool hasB = loaded.TryGetValue($"{AdapterPrefix}{path}.lora_B.weight", out var b);
                if (!hasA && !hasB)
                {
                    continue;
                }

                if (!hasA || !hasB || a!.shape.SequenceEqual(new long[] { options.Rank, inFeatures }) is false
                    || b!.shape.SequenceEqual(new long[] { outFeatures, options.Rank }) is false)
                {
                    problems.Add($"{path}: expected lora_A [{options.Rank}, {inFeatures}] and lora_B [{outFeatures}, {options.Rank}]");
                    continue;
                }

                factors[path] = (a, b);
            }

            var unexpected = loaded.Keys
                .Where(k => !k.StartsWith(AdapterPrefix, StringComparison.Ordinal) || !expected.ContainsKey(StripFactorSuffix(k[AdapterPrefix.Length..])))
                .ToArray();
            problems.AddRange(unexpected.Select(k => $"unexpected key {k}"));
            if (problems.Count > 0 || factors.Count == 0)
            {
                throw new InvalidDataException(
                    $"Adapter '{weightsPath}' does not fit a base model with {model.Options.LayerCount} layers of width " +
                    $"{model.Options.HiddenSize}; load it with the base model it was trained on. Problems: " +
                    (problems.Count > 0 ? string.Join("; ", problems) : "no LoRA factors found"));
            }

            var adapter = LoraAdapter.FromTensors(options, factors);
            if (logger is not null && logger.IsEnabled(LogLevel.Information))
            {
                double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                long bytes = new FileInfo(weightsPath).Length;
                CheckpointLog.AdapterLoaded(logger, options.Rank, factors.Count, bytes, directory, elapsedMs);
            }

            return adapter;
        }
        finally
        {
            foreach (var value in loaded.Values)
            {
                value.Dispose();
            }
        }
    }

    private static string StripFactorSuffix(string key)
    {
        foreach (var suffix in new[] { ".lora_A.weight", ".lora_B.weight" })
        {
            if (key.EndsWith(suffix, StringComparison.Ordinal))
            {
                return key[..^suffix.Length];
            }
        }

        return key;
    }

    private static Gpt2Options ReadOptions(string configPath)
    {
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"Model configuration '{configPath}' is missing; a model directory needs config.json.", configPath);
        }

        var config = ReadJsonObject(configPath);
        string? type = ReadValue<string>(config, "model_type", configPath);
        if (type is not null && type != "gpt2")
        {
            throw new InvalidDataException($"'{configPath}' describes a '{type}' model; this loader reads GPT-2 checkpoints (model_type \"gpt2\").");
        }

        var options = new Gpt2Options
        {
            VocabularySize = ReadInt(config, "vocab_size", configPath),
            ContextLength = ReadInt(config, "n_positions", configPath),
            HiddenSize = ReadInt(config, "n_embd", configPath),
            LayerCount = ReadInt(config, "n_layer", configPath),
            HeadCount = ReadInt(config, "n_head", configPath),
            LayerNormEpsilon = ReadValue<double?>(config, "layer_norm_epsilon", configPath) ?? 1e-5,
            Dropout = ReadValue<double?>(config, "resid_pdrop", configPath) ?? 0.1,
        };
        options.Validate();
        return options;
    }

    private static int ReadInt(JsonObject config, string key, string path) =>
        ReadValue<int?>(config, key, path) ?? throw new InvalidDataException($"'{path}' has no \"{key}\"; add it or save the checkpoint again.");

    private static double ReadDouble(JsonObject config, string key, string path) =>
        ReadValue<double?>(config, key, path) ?? throw new InvalidDataException($"'{path}' has no \"{key}\"; add it or save the checkpoint again.");

    private static T? ReadValue<T>(JsonObject config, string key, string path)
    {
        try
        {
            var node = config[key];
            return node is null ? default : node.GetValue<T>();
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(
                $"\"{key}\" in '{path}' is {config[key]?.ToJsonString()}, which is not a valid {typeof(T).Name.Replace("Nullable`1", "number", StringComparison.Ordinal)}; fix the value.",
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

    private static string RequireFile(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"'{path}' is missing; the directory needs {name}.", path);
    }

    private static void CopyStrict(string source, IEnumerable<(string Name, Tensor Value)> targets, Dictionary<string, Tensor> loaded)
    {
        var targetList = targets.ToList();
        var missing = targetList.Where(t => !loaded.ContainsKey(t.Name)).Select(t => t.Name).ToArray();
        var unexpected = loaded.Keys.Except(targetList.Select(t => t.Name)).ToArray();
        var misshapen = targetList
            .Where(t => loaded.TryGetValue(t.Name, out var v) && !v.shape.SequenceEqual(t.Value.shape))
            .Select(t => $"{t.Name} is [{string.Join(", ", loaded[t.Name].shape)}], expected [{string.Join(", ", t.Value.shape)}]")
            .ToArray();
        if (missing.Length + unexpected.Length + misshapen.Length > 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"'{source}' does not match the configured model. Missing: [{string.Join(", ", missing)}]. " +
                $"Unexpected: [{string.Join(", ", unexpected)}]. Wrong shape: [{string.Join("; ", misshapen)}]."));
        }

        using var noGrad = no_grad();
        foreach (var (name, value) in targetList)
        {
            value.copy_(loaded[name]);
        }
    }
}
