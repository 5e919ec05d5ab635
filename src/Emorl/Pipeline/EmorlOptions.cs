using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Emorl.Models;
using Emorl.Search;
using Emorl.Training;

namespace Emorl.Pipeline;

/// <summary>
/// Settings of a whole EMORL run: the base model's shape, the warm-up, the LoRA adapters, RL
/// training of each objective, the weight search and decoding. Bindable from configuration (section <see cref="SectionName"/>).
/// </summary>
/// <remarks>
/// Each nested options type documents its own defaults and their source: <see cref="Gpt2Options"/>
/// (a small model that trains on a CPU), <see cref="WarmupOptions"/>, <see cref="LoraOptions"/>
/// (EMORL's rank 8, alpha 32, dropout 0.05), <see cref="PolicyTrainerOptions"/> (EMORL's k-SCST values)
/// and <see cref="HierarchicalGridSearchOptions"/> (EMORL's 5 levels over [0, 1]). Change the
/// values before the first run; <see cref="EmorlTrainer"/> reads them on every call.
/// </remarks>
public sealed class EmorlOptions
{
    /// <summary>The conventional configuration section name: pass <c>configuration.GetSection(SectionName)</c> to <c>AddEmorl</c>.</summary>
    public const string SectionName = "Emorl";

    /// <summary>
    /// Gets or sets the seed of model initialisation and of each adapter's initialisation (adapter k
    /// uses seed × 100 + k). Default 1, an arbitrary fixed value so that runs repeat.
    /// </summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// Gets or sets the longest encoded prompt, in tokens; longer statements lose tokens from the
    /// left. Default 128 (EMORL's encoder limit), at least 8.
    /// </summary>
    public int MaxPromptTokens { get; set; } = 128;

    /// <summary>
    /// Gets or sets the longest encoded reference response used by the warm-up, in tokens, end-of-text
    /// included. Default 64 (EMORL's generation limit), at least 2.
    /// </summary>
    public int MaxResponseTokens { get; set; } = 64;

    /// <summary>
    /// Gets or sets the statements per generation call during the search and evaluation. Default 32,
    /// at least 1; larger batches are faster but use more memory.
    /// </summary>
    public int EvaluationBatchSize { get; set; } = 32;

    /// <summary>
    /// Gets or sets the shape of a base model built by <see cref="EmorlTrainer.CreateBaseModel"/>. Its
    /// vocabulary size always comes from the tokenizer.
    /// </summary>
    public Gpt2Options Model { get; set; } = new();

    /// <summary>Gets or sets the supervised warm-up of a base model trained from scratch.</summary>
    public WarmupOptions Warmup { get; set; } = new();

    /// <summary>Gets or sets the shape of each objective's LoRA adapter.</summary>
    public LoraOptions Lora { get; set; } = new();

    /// <summary>
    /// Gets or sets the RL training of each objective, shared by every objective: k-SCST with
    /// EMORL's values by default; set <see cref="PolicyTrainerOptions.Algorithm"/> for PPO or RLOO.
    /// </summary>
    public PolicyTrainerOptions Training { get; set; } = new();

    /// <summary>Gets or sets the hierarchical grid search of the aggregation weights.</summary>
    public HierarchicalGridSearchOptions Search { get; set; } = new();

    /// <summary>
    /// Gets or sets how the search, the evaluation and <c>ObjectiveEnsemble.Generate</c> decode.
    /// Default greedy with at most 64 new tokens, as in EMORL's evaluation.
    /// </summary>
    public GenerationOptions Decoding { get; set; } = GenerationOptions.CreateGreedy();

    /// <summary>Checks every value, nested options included, and lists every failure.</summary>
    /// <returns>
    /// One message per invalid value, each prefixed with its section (for example
    /// <c>Training.LearningRate is -1; ...</c>), or an empty list when all are valid.
    /// </returns>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        AddIf(failures, MaxPromptTokens < 8, $"MaxPromptTokens is {MaxPromptTokens}; it must be at least 8 so the prompt template fits.");
        AddIf(failures, MaxResponseTokens < 2, $"MaxResponseTokens is {MaxResponseTokens}; it must be at least 2.");
        AddIf(failures, EvaluationBatchSize < 1, $"EvaluationBatchSize is {EvaluationBatchSize}; it must be at least 1.");
        AddSection(failures, nameof(Model), Model, () => Model.Validate());
        AddSection(failures, nameof(Warmup), Warmup, () => Warmup.Validate());
        AddSection(failures, nameof(Lora), Lora, () => Lora.Validate());
        AddSection(failures, nameof(Decoding), Decoding, () => Decoding.Validate());
        if (Search is null)
        {
            failures.Add("Search is null; set it to new HierarchicalGridSearchOptions() or remove the null.");
        }
        else
        {
            failures.AddRange(Search.Validate().Select(f => $"{nameof(Search)}.{f}"));

            // The grid search itself takes any range, but its points become aggregation weights, which must be ≥ 0.
            AddIf(failures, Search.LowerBound < 0,
                string.Create(CultureInfo.InvariantCulture, $"Search.LowerBound is {Search.LowerBound}, but the searched points are aggregation ")
                + "weights, which must be ≥ 0; set LowerBound to 0 (EMORL searches [0, 1]) or above.");
        }

        AddTrainingFailures(failures);
        AddContextLengthFailure(failures);
        return failures;
    }

    /// <summary>Checks every value and throws once with every failure listed.</summary>
    /// <exception cref="ArgumentException">One or more values are invalid; the message lists each.</exception>
    public void ThrowIfInvalid()
    {
        var failures = Validate();
        if (failures.Count > 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"EmorlOptions has {failures.Count} invalid value(s):")
                + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", failures));
        }
    }

    private void AddTrainingFailures(List<string> failures)
    {
        if (Training is null)
        {
            failures.Add("Training is null; set it to new PolicyTrainerOptions() or remove the null.");
            return;
        }

        failures.AddRange(OptionsValidation.Collect(Training.Validate).Select(f => $"{nameof(Training)}.{f}"));
        if (Training.CheckpointPath is not null)
        {
            failures.Add($"Training.CheckpointPath is '{Training.CheckpointPath}'; EmorlTrainer trains every objective with these options, so one "
                + "checkpoint file would be overwritten by each objective. Set it to null, and train with PolicyTrainer directly to checkpoint and resume one objective.");
        }
    }

    private void AddContextLengthFailure(List<string> failures)
    {
        if (Model is null || Decoding is null || Training?.Sampling is null)
        {
            return;
        }

        int longestResponse = Math.Max(MaxResponseTokens, Math.Max(Decoding.MaxNewTokens, Training.Sampling.MaxNewTokens));
        int needed = MaxPromptTokens + longestResponse;
        AddIf(failures, Model.ContextLength < needed,
            $"Model.ContextLength is {Model.ContextLength}, but a prompt of MaxPromptTokens ({MaxPromptTokens}) plus the longest response "
            + $"({longestResponse} tokens) needs {needed}; raise ContextLength or lower the token limits.");
    }

    private static void AddSection(List<string> failures, string name, object? section, Action validate)
    {
        if (section is null)
        {
            failures.Add($"{name} is null; set it to a new options object or remove the null.");
            return;
        }

        failures.AddRange(OptionsValidation.Collect(validate).Select(f => $"{name}.{f}"));
    }

    private static void AddIf(List<string> failures, bool invalid, string message)
    {
        if (invalid)
        {
            failures.Add(message);
        }
    }
}
