using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using Emorl.Models;
using Emorl.Models.T5;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>The PEFT adapter half of <see cref="T5Checkpoint"/>.</summary>
public static partial class T5Checkpoint
{
    /// <summary>The safetensors weights file of an adapter directory.</summary>
    public const string AdapterFileName = "adapter_model.safetensors";

    /// <summary>The configuration file of an adapter directory.</summary>
    public const string AdapterConfigFileName = "adapter_config.json";

    // PeftModelForSeq2SeqLM wraps T5ForConditionalGeneration as base_model (LoraModel) . model, and
    // T5's module paths start at the top level (encoder., decoder.), so keys start with this.
    private const string AdapterPrefix = "base_model.model.";

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>
    /// Saves an adapter in PEFT's layout, which <c>PeftModel.from_pretrained</c> loads onto a
    /// <c>T5ForConditionalGeneration</c> model.
    /// </summary>
    /// <param name="adapter">The adapter, made for a T5 model.</param>
    /// <param name="directory">The directory, created if missing and replaced like <see cref="SaveModel"/>'s.</param>
    /// <param name="baseModelNameOrPath">
    /// The base model's Hugging Face name or path, stored as <c>base_model_name_or_path</c>; null (default) stores null.
    /// </param>
    /// <param name="logger">Logs the rank, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors. A canceled save leaves the previous directory unchanged.</param>
    /// <exception cref="ArgumentException">The adapter contains a projection that is not a T5 module path.</exception>
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
        var foreign = adapter.Targets.Where(t => !ProjectionPathPattern().IsMatch(t)).ToArray();
        if (foreign.Length > 0)
        {
            throw new ArgumentException(
                $"The adapter adapts {string.Join(", ", foreign.Take(3))}, which are not T5 projections such as " +
                "encoder.block.0.layer.0.SelfAttention.q; save a GPT-2 adapter with Gpt2Checkpoint.SaveAdapter.",
                nameof(adapter));
        }

        long started = Stopwatch.GetTimestamp();
        CheckpointDirectory.Save(directory, staging => WriteAdapter(adapter, staging, baseModelNameOrPath, cancellationToken));
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long bytes = new FileInfo(Path.Combine(directory, AdapterFileName)).Length;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.AdapterSaved(logger, adapter.Options.Rank, adapter.Targets.Count, bytes, directory, elapsedMs);
        }
    }

    private static void WriteAdapter(LoraAdapter adapter, string directory, string? baseModelNameOrPath, CancellationToken cancellationToken)
    {
        // T5's projections are nn.Linear with [out, in] weights, so fan_in_fan_out is false.
        var config = PeftAdapterConfig.Write(
            adapter.Options,
            TargetModules(adapter.Targets),
            baseModelNameOrPath,
            PeftAdapterConfig.SequenceToSequenceLanguageModel,
            fanInFanOut: false);
        AtomicFile.WriteAllText(Path.Combine(directory, AdapterConfigFileName), config.ToJsonString(s_indented));
        SafetensorsFile.Write(
            Path.Combine(directory, AdapterFileName),
            adapter.NamedFactors().Select(f => (AdapterPrefix + f.Name, f.Value)),
            new Dictionary<string, string> { ["format"] = "pt" },
            cancellationToken);
    }

    /// <summary>Loads a PEFT LoRA adapter for a T5 model and checks it against that model.</summary>
    /// <param name="directory">The adapter directory, written by <see cref="SaveAdapter"/> or by PEFT's <c>save_pretrained</c>.</param>
    /// <param name="model">The base model the adapter was trained on.</param>
    /// <param name="logger">
    /// Logs the rank, file size and time at Information, and a missing checkpoint manifest at Debug; null for none.
    /// </param>
    /// <param name="cancellationToken">Checked between tensors while reading.</param>
    /// <returns>The adapter with float32 factors; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">adapter_config.json or the weights file is missing.</exception>
    /// <exception cref="InvalidDataException">
    /// The checkpoint manifest does not match the files, the configuration uses a PEFT option this
    /// library does not run, or the weights do not fit the model (the message lists every unexpected
    /// key, missing half and wrong shape).
    /// </exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static LoraAdapter LoadAdapter(string directory, T5Model model, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        long started = Stopwatch.GetTimestamp();
        CheckpointManifest.VerifyDirectory(directory, logger);
        var options = PeftAdapterConfig.Read(Path.Combine(directory, AdapterConfigFileName), PeftAdapterConfig.SequenceToSequenceLanguageModel);
        using var reader = Gpt2Checkpoint.OpenAdapterWeights(directory);
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
                problems.Add($"{path}: lora_A is {Shape(reader.Shapes[keyA!])} and lora_B {Shape(reader.Shapes[keyB!])}, " +
                    $"expected [{options.Rank}, {inFeatures}] and [{outFeatures}, {options.Rank}] for r = {options.Rank}");
            }
        }

        if (problems.Count > 0 || keys.Count == 0)
        {
            var o = model.Options;
            throw new InvalidDataException(
                $"Adapter '{reader.Path}' does not fit a T5 model with {o.EncoderLayerCount} + {o.DecoderLayerCount} layers, " +
                $"d_model {o.ModelSize}, {o.HeadCount} heads of {o.KeyValueSize}, d_ff {o.FeedForwardSize} " +
                $"and feed-forward {o.FeedForward}; load it with the base model it was trained on. Problems: " +
                (problems.Count > 0 ? string.Join("; ", problems) : "no LoRA factors found"));
        }

        // Read in the model's order, so the adapter's Targets list projections as the model does.
        var ordered = new Dictionary<(string Path, char Factor), string>();
        foreach (string path in expected.Keys.Where(p => keys.ContainsKey((p, 'A'))))
        {
            ordered[(path, 'A')] = keys[(path, 'A')];
            ordered[(path, 'B')] = keys[(path, 'B')];
        }

        var adapter = Gpt2Checkpoint.ReadFactors(reader, options, ordered, cancellationToken);
        if (logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            long bytes = new FileInfo(reader.Path).Length;
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            CheckpointLog.AdapterLoaded(logger, options.Rank, adapter.Targets.Count, bytes, directory, elapsedMs);
        }

        return adapter;
    }

    private static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>
    /// Maps (projection path, A or B) to the key in the file, accepting keys with or without
    /// <c>base_model.model.</c> and with or without an adapter name such as <c>.default</c> before <c>.weight</c>.
    /// </summary>
    private static Dictionary<(string Path, char Factor), string> MapAdapterKeys(
        IStateDictReader reader, IEnumerable<string> projections, out List<string> problems)
    {
        var known = projections.ToHashSet(StringComparer.Ordinal);
        var keys = new Dictionary<(string Path, char Factor), string>();
        var adapterNames = new HashSet<string>(StringComparer.Ordinal);
        problems = [];
        foreach (string key in reader.Shapes.Keys.Order(StringComparer.Ordinal))
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

    private const string ProjectionPath =
        @"(?:encoder|decoder)\.block\.\d+\.layer\.\d+\.(?:SelfAttention\.[qkvo]|EncDecAttention\.[qkvo]|DenseReluDense\.(?:wi_0|wi_1|wi|wo))";

    [GeneratedRegex("^(?:base_model\\.model\\.)?(?<path>" + ProjectionPath + @")\.lora_(?<factor>[AB])(?:\.(?<name>[^.]+))?\.weight$")]
    private static partial Regex AdapterKeyPattern();

    [GeneratedRegex("^" + ProjectionPath + "$")]
    private static partial Regex ProjectionPathPattern();

    /// <summary>
    /// Lists PEFT target_modules: the short names (q, k, v, o, wi or wi_0 and wi_1, wo) when the
    /// adapter covers every projection that PEFT's suffix match selects with them in the blocks it
    /// touches, otherwise the full module paths.
    /// </summary>
    /// <remarks>
    /// The block count is taken from the adapter's highest block index per stack, so an adapter that
    /// skips the top blocks of a stack is written with short names and PEFT would add factors there.
    /// </remarks>
    private static List<string> TargetModules(IReadOnlyList<string> targets)
    {
        var shortNames = targets.Select(t => t[(t.LastIndexOf('.') + 1)..]).Distinct(StringComparer.Ordinal).ToList();
        var all = targets.ToHashSet(StringComparer.Ordinal);
        bool complete = true;
        foreach (string stack in new[] { "encoder", "decoder" })
        {
            var blocks = targets.Where(t => t.StartsWith(stack + ".", StringComparison.Ordinal))
                .Select(t => int.Parse(t.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture))
                .ToList();
            if (blocks.Count == 0)
            {
                complete = false;
                break;
            }

            complete &= Enumerable.Range(0, blocks.Max() + 1)
                .All(i => shortNames.All(n => Candidates(stack, i, n).All(all.Contains)));
        }

        return complete ? shortNames : targets.ToList();
    }

    private static IEnumerable<string> Candidates(string stack, int block, string shortName)
    {
        bool decoder = stack == "decoder";
        string prefix = $"{stack}.block.{block}.layer";
        if (shortName is "q" or "k" or "v" or "o")
        {
            yield return $"{prefix}.0.SelfAttention.{shortName}";
            if (decoder)
            {
                yield return $"{prefix}.1.EncDecAttention.{shortName}";
            }
        }
        else
        {
            yield return $"{prefix}.{(decoder ? 2 : 1)}.DenseReluDense.{shortName}";
        }
    }
}
