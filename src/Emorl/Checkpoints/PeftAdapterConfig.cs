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
/// modules_to_save, and a peft_type or task_type other than LORA and CAUSAL_LM.
/// NOTE: which PEFT versions read the written file was not checked against PEFT itself.
/// </remarks>
internal static class PeftAdapterConfig
{
    public static JsonObject Write(LoraOptions options, IReadOnlyList<string> targetModules, string? baseModelNameOrPath) => new()
    {
        ["peft_type"] = "LORA",
        ["task_type"] = "CAUSAL_LM",
        ["base_model_name_or_path"] = baseModelNameOrPath,
        ["revision"] = null,
        ["inference_mode"] = true,
        ["r"] = options.Rank,
        ["lora_alpha"] = options.Alpha,
        ["lora_dropout"] = options.Dropout,
        ["target_modules"] = new JsonArray(targetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        ["fan_in_fan_out"] = true,
        ["bias"] = "none",
        ["modules_to_save"] = null,
        ["init_lora_weights"] = true,
        ["layers_to_transform"] = null,
        ["layers_pattern"] = null,
    };

    public static LoraOptions Read(string path)
    {
        var config = JsonConfigFile.Read(path);
        var problems = new List<string>();
        string? peftType = config.Read<string>("peft_type");
        if (peftType != "LORA")
        {
            problems.Add($"peft_type is \"{peftType ?? "missing"}\"; only LORA adapters are read");
        }

        string? taskType = config.Read<string>("task_type");
        if (taskType is not null && taskType != "CAUSAL_LM")
        {
            problems.Add($"task_type is \"{taskType}\"; adapters of a causal language model (CAUSAL_LM) are read");
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
