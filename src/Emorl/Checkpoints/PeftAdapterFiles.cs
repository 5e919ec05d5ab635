using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading;
using Emorl.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>
/// Writes and reads a LoRA adapter directory in PEFT's layout for any base model:
/// <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> (or PEFT's older
/// <c>adapter_model.bin</c>). <see cref="Gpt2Checkpoint"/> and <see cref="T5Checkpoint"/> supply
/// what differs between the architectures: the key prefix, the task type and the key pattern.
/// </summary>
internal static class PeftAdapterFiles
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>Replaces <paramref name="directory"/> with the adapter's configuration and factors, keyed as <paramref name="keyPrefix"/> + projection path.</summary>
    public static void Save(
        LoraAdapter adapter, string directory, string keyPrefix, JsonObject config, ILogger? logger, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        CheckpointDirectory.Save(directory, staging =>
        {
            AtomicFile.WriteAllText(Path.Combine(staging, Gpt2Checkpoint.AdapterConfigFileName), config.ToJsonString(s_indented));
            SafetensorsFile.Write(
                Path.Combine(staging, Gpt2Checkpoint.AdapterFileName),
                adapter.NamedFactors().Select(f => (keyPrefix + f.Name, f.Value)),
                new Dictionary<string, string> { ["format"] = "pt" },
                cancellationToken);
        });
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long bytes = new FileInfo(Path.Combine(directory, Gpt2Checkpoint.AdapterFileName)).Length;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.AdapterSaved(logger, adapter.Options.Rank, adapter.Targets.Count, bytes, directory, elapsedMs);
        }
    }

    /// <summary>
    /// Loads an adapter after checking the manifest, the configuration's task type and every key and
    /// shape against <paramref name="model"/>'s projections; all problems are reported together.
    /// </summary>
    /// <param name="directory">The adapter directory.</param>
    /// <param name="model">The base model the adapter was trained on.</param>
    /// <param name="taskType">The PEFT task type the configuration must name.</param>
    /// <param name="keyPattern">Matches a weights key, with groups <c>path</c>, <c>factor</c> (A or B) and an optional adapter <c>name</c>.</param>
    /// <param name="modelDescription">Completes "does not fit …" in the error, such as "a base model with 12 layers of width 768".</param>
    /// <param name="logger">Logs the rank, file size and time at Information, and a missing manifest at Debug; null for none.</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static LoraAdapter Load(
        string directory,
        AdaptableLanguageModel model,
        string taskType,
        Regex keyPattern,
        string modelDescription,
        ILogger? logger,
        CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        CheckpointManifest.VerifyDirectory(directory, logger);
        var options = PeftAdapterConfig.Read(Path.Combine(directory, Gpt2Checkpoint.AdapterConfigFileName), taskType);
        using var reader = OpenWeights(directory);
        var expected = model.AdaptableProjections().ToDictionary(p => p.Path, StringComparer.Ordinal);
        var keys = MapKeys(reader, expected.Keys, keyPattern, out var problems);
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
                problems.Add($"{path}: lora_A is {Gpt2Checkpoint.FormatShape(reader.Shapes[keyA!])} and lora_B "
                    + $"{Gpt2Checkpoint.FormatShape(reader.Shapes[keyB!])}, "
                    + $"expected [{options.Rank}, {inFeatures}] and [{outFeatures}, {options.Rank}] for r = {options.Rank}");
            }
        }

        if (problems.Count > 0 || keys.Count == 0)
        {
            throw new InvalidDataException(
                $"Adapter '{reader.Path}' does not fit {modelDescription}; load it with the base model it was trained on. Problems: " +
                (problems.Count > 0 ? string.Join("; ", problems) : "no LoRA factors found"));
        }

        // Read in the model's order, so the adapter's Targets list projections as the model does.
        var paths = expected.Keys.Where(p => keys.ContainsKey((p, 'A'))).ToArray();
        var adapter = ReadFactors(reader, options, paths, keys, cancellationToken);
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long bytes = new FileInfo(reader.Path).Length;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.AdapterLoaded(logger, options.Rank, adapter.Targets.Count, bytes, directory, elapsedMs);
        }

        return adapter;
    }

    private static IStateDictReader OpenWeights(string directory)
    {
        string safetensors = Path.Combine(directory, Gpt2Checkpoint.AdapterFileName);
        if (File.Exists(safetensors))
        {
            return SafetensorsReader.Open(safetensors);
        }

        string bin = Path.Combine(directory, Gpt2Checkpoint.PyTorchAdapterFileName);
        return File.Exists(bin)
            ? PyTorchStateDictReader.Open(bin)
            : throw new FileNotFoundException(
                $"'{directory}' has no adapter weights: it needs {Gpt2Checkpoint.AdapterFileName} or {Gpt2Checkpoint.PyTorchAdapterFileName}.", safetensors);
    }

    /// <summary>
    /// Maps (projection path, A or B) to the key in the file. Keys that the pattern rejects or that
    /// name no projection of the model, repeated factors and several adapter names are problems.
    /// </summary>
    private static Dictionary<(string Path, char Factor), string> MapKeys(
        IStateDictReader reader, IEnumerable<string> projections, Regex keyPattern, out List<string> problems)
    {
        var known = projections.ToHashSet(StringComparer.Ordinal);
        var keys = new Dictionary<(string Path, char Factor), string>();
        var adapterNames = new HashSet<string>(StringComparer.Ordinal);
        problems = [];
        foreach (string key in reader.Shapes.Keys.Order(StringComparer.Ordinal))
        {
            var match = keyPattern.Match(key);
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

    private static LoraAdapter ReadFactors(
        IStateDictReader reader,
        LoraOptions options,
        IReadOnlyList<string> paths,
        Dictionary<(string Path, char Factor), string> keys,
        CancellationToken cancellationToken)
    {
        var factors = new Dictionary<string, (Tensor A, Tensor B)>(StringComparer.Ordinal);
        try
        {
            foreach (var path in paths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                factors[path] = (reader.ReadTensor(keys[(path, 'A')]), reader.ReadTensor(keys[(path, 'B')]));
                Gpt2Checkpoint.RequireFinite(factors[path].A, keys[(path, 'A')], reader.Path);
                Gpt2Checkpoint.RequireFinite(factors[path].B, keys[(path, 'B')], reader.Path);
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
}
