using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Emorl.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>The PEFT adapter half of <see cref="Gpt2Checkpoint"/>.</summary>
public static partial class Gpt2Checkpoint
{
    /// <summary>The safetensors weights file of an adapter directory.</summary>
    public const string AdapterFileName = "adapter_model.safetensors";

    /// <summary>The PyTorch zip weights file of an adapter directory, read when <see cref="AdapterFileName"/> is absent.</summary>
    public const string PyTorchAdapterFileName = "adapter_model.bin";

    /// <summary>The configuration file of an adapter directory.</summary>
    public const string AdapterConfigFileName = "adapter_config.json";

    // PeftModelForCausalLM wraps GPT2LMHeadModel as base_model (LoraModel) . model, so every key
    // starts with this; PEFT removes the adapter name (".default") from keys when it saves.
    private const string AdapterPrefix = "base_model.model.transformer.";

    /// <summary>Saves an adapter in PEFT's layout, which <c>PeftModel.from_pretrained</c> loads onto a GPT-2 model.</summary>
    /// <param name="adapter">The adapter.</param>
    /// <param name="directory">The directory, created if missing and replaced like <see cref="SaveModel"/>'s.</param>
    /// <param name="baseModelNameOrPath">
    /// The base model's Hugging Face name or path, stored as <c>base_model_name_or_path</c>; null (default) stores null.
    /// </param>
    /// <param name="logger">Logs the rank, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors. A canceled save leaves the previous directory unchanged.</param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static void SaveAdapter(
        LoraAdapter adapter,
        string directory,
        string? baseModelNameOrPath = null,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        long started = Stopwatch.GetTimestamp();
        CheckpointDirectory.Save(directory, staging => WriteAdapter(adapter, staging, baseModelNameOrPath, cancellationToken));
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long bytes = new FileInfo(Path.Combine(directory, AdapterFileName)).Length;
            int projections = adapter.Targets.Count;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.AdapterSaved(logger, adapter.Options.Rank, projections, bytes, directory, elapsedMs);
        }
    }

    private static void WriteAdapter(LoraAdapter adapter, string directory, string? baseModelNameOrPath, CancellationToken cancellationToken)
    {
        var config = PeftAdapterConfig.Write(adapter.Options, TargetModules(adapter.Targets), baseModelNameOrPath);
        AtomicFile.WriteAllText(Path.Combine(directory, AdapterConfigFileName), config.ToJsonString(s_indented));
        SafetensorsFile.Write(
            Path.Combine(directory, AdapterFileName),
            adapter.NamedFactors().Select(f => (AdapterPrefix + f.Name, f.Value)),
            new Dictionary<string, string> { ["format"] = "pt" },
            cancellationToken);
    }

    /// <summary>Loads a PEFT LoRA adapter for a GPT-2 model and checks it against that model.</summary>
    /// <param name="directory">The adapter directory, written by <see cref="SaveAdapter"/> or by PEFT's <c>save_pretrained</c>.</param>
    /// <param name="model">The base model the adapter was trained on.</param>
    /// <param name="logger">
    /// Logs the rank, file size and time at Information, and a missing checkpoint manifest at Debug; null for none.
    /// </param>
    /// <param name="cancellationToken">Checked between tensors while reading.</param>
    /// <returns>The adapter with float32 factors; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">adapter_config.json or both weights files are missing.</exception>
    /// <exception cref="InvalidDataException">
    /// The configuration uses a PEFT option this library does not run, or the weights do not fit the model
    /// (the message lists every unexpected key and wrong shape), or a factor contains NaN or infinite values.
    /// </exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static LoraAdapter LoadAdapter(string directory, Gpt2Model model, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        long started = Stopwatch.GetTimestamp();
        ArgumentNullException.ThrowIfNull(model);
        CheckpointManifest.VerifyDirectory(directory, logger);
        var options = PeftAdapterConfig.Read(Path.Combine(directory, AdapterConfigFileName));
        using var reader = OpenAdapterWeights(directory);
        var expected = model.AdaptableProjections().ToDictionary(p => p.Path, StringComparer.Ordinal);
        var keys = MapAdapterKeys(reader, expected.Keys, out var problems);
        foreach (var (path, inFeatures, outFeatures) in expected.Values)
        {
            bool hasA = keys.TryGetValue((path, 'A'), out string? keyA);
            bool hasB = keys.TryGetValue((path, 'B'), out string? keyB);
            if (hasA != hasB)
            {
                problems.Add($"{path} has only lora_{(hasA ? 'A' : 'B')}");
            }
            else if (hasA && (!reader.Shapes[keyA!].SequenceEqual([options.Rank, inFeatures])
                || !reader.Shapes[keyB!].SequenceEqual([outFeatures, options.Rank])))
            {
                problems.Add($"{path}: lora_A is {FormatShape(reader.Shapes[keyA!])} and lora_B {FormatShape(reader.Shapes[keyB!])}, " +
                    $"expected [{options.Rank}, {inFeatures}] and [{outFeatures}, {options.Rank}] for r = {options.Rank}");
            }
        }

        if (problems.Count > 0 || keys.Count == 0)
        {
            throw new InvalidDataException(
                $"Adapter '{reader.Path}' does not fit a base model with {model.Options.LayerCount} layers of width " +
                $"{model.Options.HiddenSize}; load it with the base model it was trained on. Problems: " +
                (problems.Count > 0 ? string.Join("; ", problems) : "no LoRA factors found"));
        }

        var adapter = ReadFactors(reader, options, keys, cancellationToken);
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long bytes = new FileInfo(reader.Path).Length;
            int projections = adapter.Targets.Count;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.AdapterLoaded(logger, options.Rank, projections, bytes, directory, elapsedMs);
        }

        return adapter;
    }

    internal static LoraAdapter ReadFactors(
        IStateDictReader reader, LoraOptions options, Dictionary<(string Path, char Factor), string> keys, CancellationToken cancellationToken)
    {
        var factors = new Dictionary<string, (Tensor A, Tensor B)>(StringComparer.Ordinal);
        try
        {
            foreach (var path in keys.Keys.Select(k => k.Path).Distinct(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                factors[path] = (reader.ReadTensor(keys[(path, 'A')]), reader.ReadTensor(keys[(path, 'B')]));
                RequireFinite(factors[path].A, keys[(path, 'A')], reader.Path);
                RequireFinite(factors[path].B, keys[(path, 'B')], reader.Path);
            }

            return LoraAdapter.FromTensors(options, factors);
        }
        finally
        {
            foreach (var (a, b) in factors.Values)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    internal static IStateDictReader OpenAdapterWeights(string directory)
    {
        string safetensors = Path.Combine(directory, AdapterFileName);
        if (File.Exists(safetensors))
        {
            return SafetensorsReader.Open(safetensors);
        }

        string bin = Path.Combine(directory, PyTorchAdapterFileName);
        return File.Exists(bin)
            ? PyTorchStateDictReader.Open(bin)
            : throw new FileNotFoundException($"'{directory}' has no adapter weights: it needs {AdapterFileName} or {PyTorchAdapterFileName}.", safetensors);
    }

    /// <summary>
    /// Maps (projection path, A or B) to the key in the file, accepting the variants PEFT writes: with or
    /// without <c>base_model.model.</c> and <c>transformer.</c>, and with or without an adapter name
    /// such as <c>.default</c> before <c>.weight</c>.
    /// </summary>
    private static Dictionary<(string Path, char Factor), string> MapAdapterKeys(
        IStateDictReader reader, IEnumerable<string> projections, out List<string> problems)
    {
        var known = projections.ToHashSet(StringComparer.Ordinal);
        var keys = new Dictionary<(string Path, char Factor), string>();
        var adapterNames = new HashSet<string>(StringComparer.Ordinal);
        problems = [];
        foreach (string key in reader.Shapes.Keys)
        {
            var match = AdapterKeyPattern().Match(key);
            if (!match.Success || !known.Contains(match.Groups["path"].Value))
            {
                problems.Add($"unexpected key {key}");
                continue;
            }

            adapterNames.Add(match.Groups["name"].Value);
            if (!keys.TryAdd((match.Groups["path"].Value, match.Groups["factor"].Value[0]), key))
            {
                problems.Add($"{key} repeats a factor already stored under another key");
            }
        }

        if (adapterNames.Count > 1)
        {
            problems.Add($"the file holds several adapters ({string.Join(", ", adapterNames.Select(n => n.Length == 0 ? "unnamed" : n))}); " +
                "save each adapter to its own directory");
        }

        return keys;
    }

    [GeneratedRegex(@"^(?:base_model\.model\.)?(?:transformer\.)?(?<path>h\.\d+\.(?:attn|mlp)\.c_\w+)\.lora_(?<factor>[AB])(?:\.(?<name>[^.]+))?\.weight$")]
    private static partial Regex AdapterKeyPattern();

    /// <summary>
    /// Lists PEFT target_modules: the short names (c_attn, c_proj, c_fc) when the adapter covers every
    /// projection that PEFT's suffix match selects with them, otherwise the full module paths.
    /// </summary>
    private static List<string> TargetModules(IReadOnlyList<string> targets)
    {
        var shortNames = targets.Select(t => t[(t.LastIndexOf('.') + 1)..]).Distinct(StringComparer.Ordinal).ToList();
        int layers = targets.Select(t => t.Split('.')[1]).Distinct(StringComparer.Ordinal).Count();
        var all = targets.ToHashSet(StringComparer.Ordinal);
        bool everyLayer = targets.All(t => t.StartsWith("h.", StringComparison.Ordinal))
            && Enumerable.Range(0, layers).All(i => shortNames.All(n => Candidates(i, n).All(all.Contains)));
        return everyLayer ? shortNames : targets.Select(t => ModelPrefix + t).ToList();
    }

    private static IEnumerable<string> Candidates(int layer, string shortName) => shortName switch
    {
        "c_attn" => [$"h.{layer}.attn.c_attn"],
        "c_fc" => [$"h.{layer}.mlp.c_fc"],
        "c_proj" => [$"h.{layer}.attn.c_proj", $"h.{layer}.mlp.c_proj"],
        _ => [$"h.{layer}.{shortName}"],
    };
}
