using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Aggregation;
using Emorl.Checkpoints;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Tokenization;
using Emorl.Training;
using Microsoft.Extensions.Logging;

namespace Emorl.Pipeline;

/// <summary>
/// The K objective models of a run (one frozen base, one LoRA adapter each), their reward models
/// and the <see cref="HiddenStateAggregator"/> that decodes with any weights.
/// </summary>
/// <remarks>
/// Made by <see cref="EmorlTrainer.TrainObjectives"/> or <see cref="EmorlTrainer.LoadObjectives"/>.
/// It owns the adapters and the reward models whose <see cref="ObjectiveDefinition.OwnsReward"/> is
/// true, but not the base model. Not thread-safe.
/// </remarks>
public sealed class ObjectiveEnsemble : IDisposable
{
    private readonly LoraObjectiveModel[] _models;
    private readonly IRewardModel[] _rewards;
    private readonly IDisposable[] _ownedRewards;
    private readonly GenerationOptions _decoding;
    private readonly ILogger _checkpointLogger;
    private readonly ILogger _logger;
    private bool _disposed;

    internal ObjectiveEnsemble(
        PromptTemplate template,
        IReadOnlyList<LoraObjectiveModel> models,
        IReadOnlyList<IRewardModel> rewards,
        IReadOnlyList<IDisposable> ownedRewards,
        IReadOnlyList<ObjectiveTrainingResult> trainingResults,
        GenerationOptions decoding,
        ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger<ObjectiveEnsemble>();
        Template = template;
        _models = [.. models];
        _rewards = [.. rewards];
        _ownedRewards = [.. ownedRewards];
        _decoding = decoding;
        TrainingResults = [.. trainingResults];
        Aggregator = new HiddenStateAggregator(_models, logger: loggerFactory.CreateLogger<HiddenStateAggregator>());
        _checkpointLogger = loggerFactory.CreateLogger(typeof(ModelCheckpoint));
    }

    /// <summary>Gets the shared frozen base model; the ensemble does not own it.</summary>
    public AdaptableLanguageModel BaseModel => _models[0].SharedBase;

    /// <summary>Gets the prompt template of the base model.</summary>
    public PromptTemplate Template { get; }

    /// <summary>Gets the objective names, in weight order.</summary>
    public IReadOnlyList<string> Objectives => _models.Select(m => m.Name).ToArray();

    /// <summary>Gets the objective models, in weight order.</summary>
    public IReadOnlyList<LoraObjectiveModel> Models => _models;

    /// <summary>Gets the reward models, in weight order.</summary>
    public IReadOnlyList<IRewardModel> Rewards => _rewards;

    /// <summary>Gets each objective's training result; empty when the adapters were loaded.</summary>
    public IReadOnlyList<ObjectiveTrainingResult> TrainingResults { get; }

    /// <summary>Gets the aggregator over the objective models.</summary>
    public HiddenStateAggregator Aggregator { get; }

    /// <summary>Generates one response per statement from the weighted hidden states of the K models.</summary>
    /// <param name="statements">Client statements.</param>
    /// <param name="weights">K finite weights ≥ 0, in <see cref="Objectives"/> order; they need not sum to 1.</param>
    /// <param name="options">How to decode, or null for <see cref="EmorlOptions.Decoding"/>.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>One response text per statement, in input order.</returns>
    /// <exception cref="ArgumentException">The weights have the wrong count or an invalid value.</exception>
    /// <exception cref="ObjectDisposedException">The ensemble was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested before decoding finished.</exception>
    public IReadOnlyList<string> Generate(
        IReadOnlyList<string> statements,
        IReadOnlyList<double> weights,
        GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var generated = Generate(statements, weights, options, progress: null, cancellationToken);
        if (generated.IsPartial)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return generated.Replies;
    }

    /// <summary>
    /// Generates one response per statement from the weighted hidden states of the K models,
    /// reporting each decoding step, and returns the text decoded so far when cancellation is requested.
    /// </summary>
    /// <param name="statements">Client statements.</param>
    /// <param name="weights">K finite weights ≥ 0, in <see cref="Objectives"/> order; they need not sum to 1.</param>
    /// <param name="options">How to decode, or null for <see cref="EmorlOptions.Decoding"/>.</param>
    /// <param name="progress">Receives the step count after each decoding step, on the calling thread, or null.</param>
    /// <param name="cancellationToken">
    /// Checked before each decoding step. Once it is canceled, no further token is picked and the
    /// method returns normally.
    /// </param>
    /// <returns>
    /// One reply per statement and the steps done. After cancellation
    /// <see cref="GeneratedReplies.IsPartial"/> is true and each unfinished reply is the text of the
    /// tokens picked before it.
    /// </returns>
    /// <exception cref="ArgumentException">The weights have the wrong count or an invalid value.</exception>
    /// <exception cref="ObjectDisposedException">The ensemble was disposed.</exception>
    public GeneratedReplies Generate(
        IReadOnlyList<string> statements,
        IReadOnlyList<double> weights,
        GenerationOptions? options,
        IProgress<GenerationProgress>? progress,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (statements.Count == 0)
        {
            return new GeneratedReplies([], 0, false);
        }

        var prompts = Template.EncodePrompts(statements, _logger);
        var generated = Aggregator.Generate(
            prompts,
            weights,
            Template.Tokenizer.EndOfTextId,
            (options ?? _decoding).LimitedTo(Template.Tokenizer.VocabularySize, BaseModel.VocabularySize),
            progress,
            cancellationToken: cancellationToken);
        var replies = generated.Responses.Select(tokens => Template.DecodeResponse(tokens)).ToArray();
        return new GeneratedReplies(replies, generated.Steps, generated.IsPartial);
    }

    /// <summary>Saves each adapter in PEFT's layout under <c>directory/&lt;objective&gt;/</c>.</summary>
    /// <param name="directory">The parent folder; created when missing.</param>
    /// <param name="cancellationToken">
    /// Checked between adapters and between the tensors of each. Adapters saved before cancellation
    /// stay on disk, and the one in progress keeps its previous weights file.
    /// </param>
    /// <exception cref="ObjectDisposedException">The ensemble was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public void SaveAdapters(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var model in _models)
        {
            ModelCheckpoint.SaveAdapter(
                model.Adapter!, model.SharedBase, Path.Combine(directory, model.Name), _checkpointLogger, cancellationToken);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var model in _models)
        {
            model.Dispose();
        }

        foreach (var reward in _ownedRewards)
        {
            reward.Dispose();
        }
    }
}
