using System;
using System.IO;
using System.Threading;
using Emorl.Models;
using Emorl.Models.T5;
using Microsoft.Extensions.Logging;

namespace Emorl.Checkpoints;

/// <summary>
/// Saves and loads base models and LoRA adapters of either architecture in Hugging Face's and
/// PEFT's layouts, choosing <see cref="Gpt2Checkpoint"/> or <see cref="T5Checkpoint"/> by the model's
/// type or by <c>model_type</c> in <c>config.json</c>.
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>Reads the <c>model_type</c> of a Hugging Face model directory.</summary>
    /// <param name="directory">The model directory.</param>
    /// <returns><c>gpt2</c> or <c>t5</c>.</returns>
    /// <exception cref="FileNotFoundException">The directory or its config.json is missing.</exception>
    /// <exception cref="InvalidDataException">
    /// config.json is not JSON, names another architecture, or has T5's keys without a model_type.
    /// </exception>
    public static string ReadArchitecture(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string path = Path.Combine(directory, Gpt2Checkpoint.ConfigFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                Directory.Exists(directory)
                    ? $"'{directory}' holds no config.json; pass a Hugging Face GPT-2 or T5 model directory."
                    : $"The model folder '{directory}' was not found; pass a Hugging Face GPT-2 or T5 model directory.",
                path);
        }

        // GPT-2 checkpoints written before transformers recorded model_type have none, so they read as GPT-2.
        // A T5 config without the key is rejected, because reading it as GPT-2 would only report a missing n_embd.
        var config = JsonConfigFile.Read(path);
        string? declared = config.Read<string>("model_type");
        if (declared is null && !config.IsSet("n_embd") && config.IsSet("d_model"))
        {
            throw new InvalidDataException(
                $"'{path}' has no model_type and no n_embd, but has T5's d_model; add \"model_type\": \"t5\" to it for a T5 "
                + "checkpoint.");
        }

        string type = declared ?? "gpt2";
        return type switch
        {
            "gpt2" or "t5" => type,
            _ => throw new InvalidDataException(
                $"'{path}' has model_type \"{type}\"; this library runs GPT-2 (\"gpt2\") and T5 (\"t5\") models."),
        };
    }

    /// <summary>Loads a GPT-2 or T5 model directory, by its config.json's <c>model_type</c>.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="logger">Passed to the architecture's loader, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors while reading GPT-2 weights.</param>
    /// <returns>The model in evaluation mode; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    /// <exception cref="InvalidDataException">The configuration or the weights do not describe a model this library runs.</exception>
    public static AdaptableLanguageModel LoadModel(string directory, ILogger? logger = null, CancellationToken cancellationToken = default) =>
        ReadArchitecture(directory) == "t5"
            ? T5Checkpoint.LoadModel(directory, logger)
            : Gpt2Checkpoint.LoadModel(directory, logger, cancellationToken);

    /// <summary>Saves a model's configuration and weights in Hugging Face's layout for its architecture.</summary>
    /// <param name="model">The model.</param>
    /// <param name="directory">The directory, created if missing and replaced as a whole.</param>
    /// <param name="logger">Passed to the architecture's writer, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors while writing GPT-2 weights.</param>
    public static void SaveModel(
        AdaptableLanguageModel model, string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        switch (model)
        {
            case T5Model t5:
                T5Checkpoint.SaveModel(t5, directory);
                break;
            case Gpt2Model gpt2:
                Gpt2Checkpoint.SaveModel(gpt2, directory, logger: logger, cancellationToken: cancellationToken);
                break;
        }
    }

    /// <summary>Saves an adapter in PEFT's layout for the architecture of the model it was made for.</summary>
    /// <param name="adapter">The adapter.</param>
    /// <param name="model">The base model the adapter adapts.</param>
    /// <param name="directory">The directory, created if missing and replaced as a whole.</param>
    /// <param name="logger">Logs the rank, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public static void SaveAdapter(
        LoraAdapter adapter, AdaptableLanguageModel model, string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is T5Model)
        {
            T5Checkpoint.SaveAdapter(adapter, directory, logger: logger, cancellationToken: cancellationToken);
        }
        else
        {
            Gpt2Checkpoint.SaveAdapter(adapter, directory, logger: logger, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Loads a PEFT adapter for a GPT-2 or T5 model and checks it against that model.</summary>
    /// <param name="directory">The adapter directory.</param>
    /// <param name="model">The base model the adapter was trained on.</param>
    /// <param name="logger">Logs the rank, file size and time at Information, or null for none.</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    /// <returns>The adapter; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">adapter_config.json or the weights are missing.</exception>
    /// <exception cref="InvalidDataException">The adapter does not fit the model.</exception>
    public static LoraAdapter LoadAdapter(
        string directory, AdaptableLanguageModel model, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model switch
        {
            T5Model t5 => T5Checkpoint.LoadAdapter(directory, t5, logger, cancellationToken),
            Gpt2Model gpt2 => Gpt2Checkpoint.LoadAdapter(directory, gpt2, logger, cancellationToken),
            _ => throw new ArgumentException($"Models of architecture '{model.Architecture}' have no adapter format.", nameof(model)),
        };
    }
}
