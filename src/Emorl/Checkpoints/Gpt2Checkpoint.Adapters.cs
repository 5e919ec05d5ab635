using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Emorl.Models;
using Microsoft.Extensions.Logging;

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
        var config = PeftAdapterConfig.Write(adapter.Options, TargetModules(adapter.Targets), baseModelNameOrPath);
        PeftAdapterFiles.Save(adapter, directory, AdapterPrefix, config, logger, cancellationToken);
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
        ArgumentNullException.ThrowIfNull(model);
        return PeftAdapterFiles.Load(
            directory,
            model,
            PeftAdapterConfig.CausalLanguageModel,
            AdapterKeyPattern(),
            $"a base model with {model.Options.LayerCount} layers of width {model.Options.HiddenSize}",
            logger,
            cancellationToken);
    }

    // Keys with or without base_model.model. and transformer., and with or without an adapter name
    // such as .default before .weight: the variants PEFT writes.
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
