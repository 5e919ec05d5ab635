using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using Emorl.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>
/// Saves and loads GPT-2 base models in Hugging Face's layout and LoRA adapters in PEFT's layout.
/// </summary>
/// <remarks>
/// <para>
/// A model directory contains <c>config.json</c> (transformers' GPT2Config keys) and the weights in
/// <c>model.safetensors</c> or, when that is absent, a PyTorch zip <c>pytorch_model.bin</c>. Keys such
/// as <c>transformer.h.0.attn.c_attn.weight</c> are read with or without the <c>transformer.</c>
/// prefix; Conv1D weights are stored [in, out], as GPT-2 stores them and as <see cref="Gpt2Model"/>
/// uses them, so nothing is transposed. The LM head is the token embedding itself, so a stored
/// <c>lm_head.weight</c> is skipped, as are the attention-mask buffers <c>h.N.attn.bias</c> and
/// <c>h.N.attn.masked_bias</c>. F16, BF16 and F64 weights are converted to float32 as they load.
/// </para>
/// <para>
/// An adapter directory contains <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>
/// (or <c>adapter_model.bin</c>) with PEFT's key names, such as
/// <c>base_model.model.transformer.h.0.attn.c_attn.lora_A.weight</c>. Loading is strict: a missing,
/// unexpected or misshapen tensor raises an error that lists them all.
/// </para>
/// </remarks>
public static partial class Gpt2Checkpoint
{
    /// <summary>The safetensors weights file of a model directory.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The PyTorch zip weights file of a model directory, read when <see cref="ModelFileName"/> is absent.</summary>
    public const string PyTorchModelFileName = "pytorch_model.bin";

    /// <summary>The configuration file of a model directory.</summary>
    public const string ConfigFileName = "config.json";

    private const string ModelPrefix = "transformer.";
    private const string ShardIndexFileName = "model.safetensors.index.json";
    private const string PyTorchShardIndexFileName = "pytorch_model.bin.index.json";

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>Saves a model's configuration and weights (float32, as the model stores them) in Hugging Face's layout.</summary>
    /// <param name="model">The model.</param>
    /// <param name="directory">
    /// The directory, created if missing. It is replaced as a whole with a manifest of checksums
    /// (see <see cref="CheckpointManifest"/>), so a crash leaves the previous checkpoint intact;
    /// other files in it are kept.
    /// </param>
    /// <param name="logger">Logs the parameter count, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors. A canceled save leaves the previous directory unchanged.</param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static void SaveModel(
        Gpt2Model model, string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        long started = Stopwatch.GetTimestamp();
        CheckpointDirectory.Save(directory, staging => WriteModel(model, staging, cancellationToken));
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long parameters = model.parameters().Sum(p => p.numel());
            long bytes = new FileInfo(Path.Combine(directory, ModelFileName)).Length;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.ModelSaved(logger, parameters, bytes, directory, elapsedMs);
        }
    }

    private static void WriteModel(Gpt2Model model, string directory, CancellationToken cancellationToken)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFileName), Gpt2Config.Write(model.Options).ToJsonString(s_indented));
        SafetensorsFile.Write(
            Path.Combine(directory, ModelFileName),
            model.named_parameters().Select(p => (ModelPrefix + p.name, (Tensor)p.parameter)),
            new Dictionary<string, string> { ["format"] = "pt" },
            cancellationToken);
    }

    /// <summary>Loads a GPT-2 model from a Hugging Face checkpoint directory or one written by <see cref="SaveModel"/>.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="logger">
    /// Logs the model's shape, file size and time at Information, and a missing checkpoint manifest at Debug; null for none.
    /// </param>
    /// <param name="cancellationToken">Checked between tensors while reading.</param>
    /// <returns>The model in evaluation mode, with float32 weights on the CPU; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">config.json or both weights files are missing.</exception>
    /// <exception cref="InvalidDataException">
    /// The configuration describes an architecture this library does not run, or the weights miss,
    /// add or misshape a tensor (the message lists each), a tensor contains NaN or infinite values, or a file is
    /// truncated or damaged.
    /// </exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static Gpt2Model LoadModel(string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        long started = Stopwatch.GetTimestamp();
        CheckpointManifest.VerifyDirectory(directory, logger);
        var options = Gpt2Config.Read(Path.Combine(directory, ConfigFileName));
        using var reader = OpenModelWeights(directory);
        var model = new Gpt2Model(options, seed: 0);
        try
        {
            var targets = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
            var keys = MapModelKeys(reader);
            CheckStrict(reader.Path, targets, keys, name => reader.Shapes[keys[name]]);
            CopyTensors(reader, targets, keys, cancellationToken);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        model.eval();
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long parameters = model.parameters().Sum(p => p.numel());
            long bytes = new FileInfo(reader.Path).Length;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.ModelLoaded(logger, options.LayerCount, options.HiddenSize, options.VocabularySize, parameters, bytes, directory, elapsedMs);
        }

        return model;
    }

    private static IStateDictReader OpenModelWeights(string directory)
    {
        string safetensors = Path.Combine(directory, ModelFileName);
        if (File.Exists(safetensors))
        {
            return SafetensorsReader.Open(safetensors);
        }

        string bin = Path.Combine(directory, PyTorchModelFileName);
        if (File.Exists(bin))
        {
            return PyTorchStateDictReader.Open(bin);
        }

        if (File.Exists(Path.Combine(directory, ShardIndexFileName)) || File.Exists(Path.Combine(directory, PyTorchShardIndexFileName)))
        {
            throw new InvalidDataException(
                $"'{directory}' holds a sharded checkpoint; this loader reads one weights file. Save it again with " +
                "model.save_pretrained(directory, max_shard_size=\"10GB\") so the weights fit one file.");
        }

        throw new FileNotFoundException(
            $"'{directory}' has no weights: it needs {ModelFileName} or {PyTorchModelFileName}.", safetensors);
    }

    /// <summary>Maps each model parameter name (such as <c>h.0.ln_1.weight</c>) to its key in the file.</summary>
    private static Dictionary<string, string> MapModelKeys(IStateDictReader reader)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in reader.Shapes.Keys)
        {
            string name = key.StartsWith(ModelPrefix, StringComparison.Ordinal) ? key[ModelPrefix.Length..] : key;
            if (name == "lm_head.weight" || IgnoredBufferPattern().IsMatch(name))
            {
                continue;
            }

            if (!keys.TryAdd(name, key))
            {
                throw new InvalidDataException(
                    $"'{reader.Path}' stores '{name}' twice, as '{keys[name]}' and '{key}'; keep one of them.");
            }
        }

        return keys;
    }

    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex IgnoredBufferPattern();

    private static void CheckStrict(
        string source, IReadOnlyList<(string Name, Tensor Value)> targets, Dictionary<string, string> keys,
        Func<string, IReadOnlyList<long>> storedShape)
    {
        var missing = targets.Where(t => !keys.ContainsKey(t.Name)).Select(t => t.Name).ToArray();
        var unexpected = keys.Keys.Except(targets.Select(t => t.Name), StringComparer.Ordinal).Select(n => keys[n]).ToArray();
        var misshapen = targets
            .Where(t => keys.ContainsKey(t.Name) && !storedShape(t.Name).SequenceEqual(t.Value.shape))
            .Select(t => $"{keys[t.Name]} is {FormatShape(storedShape(t.Name))}, expected {FormatShape(t.Value.shape)}")
            .ToArray();
        if (missing.Length + unexpected.Length + misshapen.Length > 0)
        {
            throw new InvalidDataException(
                $"'{source}' does not match the model that config.json describes. Missing: [{string.Join(", ", missing)}]. " +
                $"Unexpected: [{string.Join(", ", unexpected)}]. Wrong shape: [{string.Join("; ", misshapen)}]. " +
                "Load the weights with the config.json they were saved with.");
        }
    }

    private static void CopyTensors(
        IStateDictReader reader, IReadOnlyList<(string Name, Tensor Value)> targets, Dictionary<string, string> keys, CancellationToken cancellationToken)
    {
        using var noGrad = no_grad();
        foreach (var (name, target) in targets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // One stored tensor at a time, so peak memory is the model plus its largest tensor.
            using var stored = reader.ReadTensor(keys[name]);
            if (!is_floating_point(stored))
            {
                throw new InvalidDataException(
                    $"'{keys[name]}' in '{reader.Path}' has element type {stored.dtype}; model weights must be floating point.");
            }

            RequireFinite(stored, keys[name], reader.Path);
            target.copy_(stored);
        }
    }

    /// <summary>
    /// Rejects a stored tensor with NaN or infinite values, which would otherwise load silently and
    /// surface only at generation as non-finite logits blamed on training.
    /// </summary>
    internal static void RequireFinite(Tensor stored, string key, string path)
    {
        using var scope = NewDisposeScope();
        long invalid = stored.isfinite().logical_not().sum().item<long>();
        if (invalid > 0)
        {
            throw new InvalidDataException(
                $"'{key}' in '{path}' contains {invalid} NaN or infinite values, so the model would produce no usable "
                + "output. The weights were saved after training diverged, or the file was changed; use an earlier checkpoint.");
        }
    }

    internal static string FormatShape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
