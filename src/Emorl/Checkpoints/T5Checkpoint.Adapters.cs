using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Emorl.Models;
using Emorl.Models.T5;
using Microsoft.Extensions.Logging;

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

        // T5's projections are nn.Linear with [out, in] weights, so fan_in_fan_out is false.
        var config = PeftAdapterConfig.Write(
            adapter.Options,
            TargetModules(adapter.Targets),
            baseModelNameOrPath,
            PeftAdapterConfig.SequenceToSequenceLanguageModel,
            fanInFanOut: false);
        PeftAdapterFiles.Save(adapter, directory, AdapterPrefix, config, logger, cancellationToken);
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
        var o = model.Options;
        return PeftAdapterFiles.Load(
            directory,
            model,
            PeftAdapterConfig.SequenceToSequenceLanguageModel,
            AdapterKeyPattern(),
            $"a T5 model with {o.EncoderLayerCount} + {o.DecoderLayerCount} layers, d_model {o.ModelSize}, "
                + $"{o.HeadCount} heads of {o.KeyValueSize}, d_ff {o.FeedForwardSize} and feed-forward {o.FeedForward}",
            logger,
            cancellationToken);
    }

    // Keys with or without base_model.model. and with or without an adapter name such as .default
    // before .weight.
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
