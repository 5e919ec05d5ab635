using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Emorl.Models;

namespace Emorl.Checkpoints;

/// <summary>Maps PEFT's <c>adapter_config.json</c> (a LoraConfig) to <see cref="LoraOptions"/> and back.</summary>
/// <remarks>
/// Keys that later PEFT releases added (use_rslora, use_dora, rank_pattern, alpha_pattern) are not
/// written, so PEFT applies their defaults (false, false, empty, empty).
/// When reading, options that change the update (alpha / r) · B A x are rejected, each with its key.
/// These are use_dora, use_rslora, rank_pattern, alpha_pattern, bias other than "none",
/// modules_to_save, and a peft_type other than LORA or a task_type other than the expected one
/// (CAUSAL_LM for GPT-2, SEQ_2_SEQ_LM for T5).
/// NOTE: which PEFT versions read the written file was not checked against PEFT itself.
/// </remarks>
internal static class PeftAdapterConfig
{
    /// <summary>PEFT's task type of a causal language model such as GPT-2.</summary>
    public const string CausalLanguageModel = "CAUSAL_LM";

    /// <summary>PEFT's task type of an encoder-decoder language model such as T5.</summary>
    public const string SequenceToSequenceLanguageModel = "SEQ_2_SEQ_LM";

    /// <summary>Builds the adapter_config.json object of a LoRA adapter.</summary>
    /// <param name="options">Rank, alpha and dropout.</param>
    /// <param name="targetModules">PEFT target_modules.</param>
    /// <param name="baseModelNameOrPath">Stored as base_model_name_or_path.</param>
    /// <param name="taskType">PEFT task_type.</param>
    /// <param name="fanInFanOut">True when the base projections store weights [in, out] (GPT-2's Conv1D), false for nn.Linear's [out, in].</param>
    public static JsonObject Write(
        LoraOptions options,
        IReadOnlyList<string> targetModules,
        string? baseModelNameOrPath,
        string taskType = CausalLanguageModel,
        bool fanInFanOut = true) => new()
    {
        ["peft_type"] = "LORA",
        ["task_type"] = taskType,
        ["base_model_name_or_path"] = baseModelNameOrPath,
        ["revision"] = null,
        ["inference_mode"] = true,
        ["r"] = options.Rank,
        ["lora_alpha"] = options.Alpha,
        ["lora_dropout"] = options.Dropout,
        ["target_modules"] = new JsonArray(targetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        ["fan_in_fan_out"] = fanInFanOut,
        ["bias"] = "none",
        ["modules_to_save"] = null,
        ["init_lora_weights"] = true,
        ["layers_to_transform"] = null,
        ["layers_pattern"] = null,
    };

    /// <summary>Reads the LoRA options of adapter_config.json, rejecting options this library does not run.</summary>
    /// <param name="path">The adapter_config.json file.</param>
    /// <param name="taskType">The task_type the caller's model runs; a missing (null) task_type is accepted.</param>
    public static LoraOptions Read(string path, string taskType = CausalLanguageModel)
    {
        var config = JsonConfigFile.Read(path);
        var problems = new List<string>();
        string? peftType = config.Read<string>("peft_type");
        if (peftType != "LORA")
        {
            problems.Add($"peft_type is \"{peftType ?? "missing"}\"; only LORA adapters are read");
        }

        string? storedTaskType = config.Read<string>("task_type");
        if (storedTaskType is not null && storedTaskType != taskType)
        {
            string kind = taskType == SequenceToSequenceLanguageModel ? "an encoder-decoder language model" : "a causal language model";
            problems.Add($"task_type is \"{storedTaskType}\"; this loader reads adapters of {kind} ({taskType})");
        }

        if (config.Read<bool?>("use_dora") == true)
        {
            problems.Add("use_dora is true; DoRA's magnitude vectors are not supported, train with use_dora=False");
        }

        if (config.Read<bool?>("use_rslora") == true)
        {
            problems.Add("use_rslora is true; the scale alpha / √r is not supported, train with use_rslora=False");
        }

        string bias = config.Read<string>("bias") ?? "none";
        if (bias != "none")
        {
            problems.Add($"bias is \"{bias}\"; trained biases are not part of this adapter format, train with bias=\"none\"");
        }

        if (config.Root["modules_to_save"] is JsonArray { Count: > 0 } saved)
        {
            problems.Add($"modules_to_save is {saved.ToJsonString()}; fully trained modules are not supported");
        }

        foreach (string key in new[] { "rank_pattern", "alpha_pattern" })
        {
            if (config.Root[key] is JsonObject { Count: > 0 } pattern)
            {
                problems.Add($"{key} is {pattern.ToJsonString()}; one r and lora_alpha for every module are supported");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException($"'{path}' describes an adapter this library cannot load: {string.Join("; ", problems)}.");
        }

        var options = new LoraOptions
        {
            Rank = config.ReadInt("r"),
            Alpha = config.ReadDouble("lora_alpha"),
            Dropout = config.Read<double?>("lora_dropout") ?? 0,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException error)
        {
            throw new InvalidDataException($"'{path}' has invalid LoRA settings: {error.Message}", error);
        }

        return options;
    }
}
