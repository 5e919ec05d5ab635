using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Checkpoints;
using Emorl.Evaluation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Search;
using Emorl.Tokenization;
using Emorl.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Emorl.Pipeline;

/// <summary>
/// Runs EMORL's stages with one set of options and objectives: warm-up of a base model, one LoRA
/// adapter per objective trained with RL (k-SCST by default), the hierarchical grid search of the aggregation
/// weights, and evaluation.
/// </summary>
/// <remarks>
/// Kong et al., "EMORL: Ensemble Multi-Objective Reinforcement Learning for Efficient and Flexible
/// LLM Fine-Tuning", SIGDIAL 2025. Each stage is a method, so an application can run the stages it
/// needs, save in between and resume: <see cref="LoadObjectives"/> rebuilds an ensemble from saved
/// adapters. Everything runs on the CPU. Register it with <c>services.AddEmorl()</c> or create it
/// directly. An instance keeps no model between calls, but TorchSharp's seed and thread settings
/// are process-wide, so run one stage at a time.
/// </remarks>
public sealed class EmorlTrainer
{
    private readonly EmorlOptions _options;
    private readonly ObjectiveDefinition[] _objectives;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates a trainer and validates its options.</summary>
    /// <param name="options">The run's settings; every invalid value is reported in one exception.</param>
    /// <param name="objectives">The objectives, in weight order; names must be distinct.</param>
    /// <param name="loggerFactory">Creates the loggers of every stage, or null for none.</param>
    /// <exception cref="ArgumentException">An option is invalid, or two objectives share a name.</exception>
    public EmorlTrainer(EmorlOptions options, IEnumerable<ObjectiveDefinition> objectives, ILoggerFactory? loggerFactory = null)
        : this(options, objectives, loggerFactory, validateOptions: true)
    {
    }

    internal EmorlTrainer(
        EmorlOptions options, IEnumerable<ObjectiveDefinition> objectives, ILoggerFactory? loggerFactory, bool validateOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(objectives);
        if (validateOptions)
        {
            options.ThrowIfInvalid();
        }

        _objectives = objectives.ToArray();
        var duplicate = _objectives.GroupBy(o => o.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException(
                $"Two objectives are named '{duplicate.Key}'; give each objective a distinct name.", nameof(objectives));
        }

        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<EmorlTrainer>();
    }

    /// <summary>Gets the run's settings.</summary>
    public EmorlOptions Options => _options;

    /// <summary>Gets the objective names, in weight order.</summary>
    public IReadOnlyList<string> Objectives => _objectives.Select(o => o.Name).ToArray();

    /// <summary>Creates the prompt template for a tokenizer with the configured token limits.</summary>
    /// <param name="tokenizer">The base model's tokenizer.</param>
    /// <returns>A template with the default <c>Client: </c> / <c>Counselor:</c> framing.</returns>
    public PromptTemplate CreateTemplate(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new PromptTemplate(tokenizer, _options.MaxPromptTokens, _options.MaxResponseTokens);
    }

    /// <summary>
    /// Creates the prompt template for a base model and its tokenizer: for a T5 base every prompt
    /// ends with end-of-text, as Hugging Face's T5 tokenizer ends encoder inputs.
    /// </summary>
    /// <param name="tokenizer">The base model's tokenizer.</param>
    /// <param name="baseModel">The base model the template feeds.</param>
    /// <returns>A template with the default <c>Client: </c> / <c>Counselor:</c> framing.</returns>
    public PromptTemplate CreateTemplate(ITextTokenizer tokenizer, AdaptableLanguageModel baseModel)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(baseModel);
        return new PromptTemplate(
            tokenizer, _options.MaxPromptTokens, _options.MaxResponseTokens, endWithEndOfText: baseModel is Models.T5.T5Model);
    }

    /// <summary>Creates a base model with <see cref="EmorlOptions.Model"/>'s shape and freshly initialised weights.</summary>
    /// <param name="tokenizer">The tokenizer; its vocabulary size sets the model's.</param>
    /// <returns>The model, seeded with <see cref="EmorlOptions.Seed"/>; the caller owns it.</returns>
    public Gpt2Model CreateBaseModel(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var shape = _options.Model;
        var options = new Gpt2Options
        {
            VocabularySize = tokenizer.VocabularySize,
            ContextLength = shape.ContextLength,
            LayerCount = shape.LayerCount,
            HiddenSize = shape.HiddenSize,
            HeadCount = shape.HeadCount,
            Dropout = shape.Dropout,
            LayerNormEpsilon = shape.LayerNormEpsilon,
        };
        var model = new Gpt2Model(options, _options.Seed);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            long parameters = model.parameters().Sum(p => p.numel());
            EmorlTrainerLog.BaseModelCreated(_logger, options.LayerCount, options.HiddenSize, options.VocabularySize, parameters, _options.Seed);
        }

        return model;
    }

    /// <summary>Trains every parameter of a base model with next-token loss, then freezes it.</summary>
    /// <param name="model">The model to train; left frozen in evaluation mode.</param>
    /// <param name="template">Encodes statements and responses.</param>
    /// <param name="train">Training (statement, response) pairs, at least one.</param>
    /// <param name="validation">Pairs for the final validation perplexity; may be empty.</param>
    /// <param name="progress">Receives progress after every step, or null.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <returns>Losses, time and validation perplexity.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public WarmupResult WarmUp(
        AdaptableLanguageModel model,
        PromptTemplate template,
        IReadOnlyList<(string Statement, string Response)> train,
        IReadOnlyList<(string Statement, string Response)> validation,
        IProgress<EmorlProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var warmup = new SupervisedWarmup(_options.Warmup, _loggerFactory.CreateLogger<SupervisedWarmup>());
        var forward = progress is null ? null : new MappedProgress<TrainingProgress>(
            p => progress.Report(new EmorlProgress(EmorlStage.Warmup, "warm-up", p.Step, p.TotalSteps, p.Value)));
        var result = warmup.Train(model, template, train, validation, forward, cancellationToken);
        EmorlTrainerLog.WarmupFinished(_logger, result.Steps, result.Seconds, result.ValidationPerplexity);
        return result;
    }

    /// <summary>Trains one LoRA adapter per objective with the algorithm of <see cref="EmorlOptions.Training"/> (k-SCST by default) on a frozen base model.</summary>
    /// <param name="baseModel">The shared base model; frozen here and not owned by the result.</param>
    /// <param name="template">Encodes statements into prompts and decodes responses.</param>
    /// <param name="trainStatements">Training client statements, at least one.</param>
    /// <param name="validationStatements">Validation client statements for the convergence rule, at least one.</param>
    /// <param name="progress">Receives progress after every step of every objective, or null.</param>
    /// <param name="cancellationToken">Checked between steps and generated tokens.</param>
    /// <returns>The ensemble of trained objective models; the caller owns it.</returns>
    /// <exception cref="InvalidOperationException">No objective was added.</exception>
    /// <exception cref="ArgumentException">The template's tokenizer has more token ids than the base model reads.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested; nothing trained so far is kept.</exception>
    public ObjectiveEnsemble TrainObjectives(
        AdaptableLanguageModel baseModel,
        PromptTemplate template,
        IReadOnlyList<string> trainStatements,
        IReadOnlyList<string> validationStatements,
        IProgress<EmorlProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(template);
        template.CheckVocabulary(baseModel.VocabularySize, "the base model", nameof(template));
        ArgumentNullException.ThrowIfNull(trainStatements);
        ArgumentNullException.ThrowIfNull(validationStatements);
        RequireObjectives();

        EmorlTrainerLog.TrainingStarted(_logger, Objectives, trainStatements.Count, _options.Seed);
        var parts = new EnsembleParts();
        try
        {
            for (int k = 0; k < _objectives.Length; k++)
            {
                var adapter = LoraAdapter.Create(baseModel, _options.Lora, AdapterSeed(k));
                parts.Models.Add(new LoraObjectiveModel(_objectives[k].Name, baseModel, adapter));
                var reward = parts.AddReward(_objectives[k], new RewardModelContext(baseModel, template));
                parts.Results.Add(TrainObjective(parts.Models[k], reward, template, trainStatements, validationStatements, progress, cancellationToken));
            }

            return parts.ToEnsemble(template, _options.Decoding, _loggerFactory);
        }
        catch
        {
            parts.Dispose();
            throw;
        }
    }

    /// <summary>Rebuilds an ensemble from adapters saved by <see cref="ObjectiveEnsemble.SaveAdapters"/>.</summary>
    /// <param name="baseModel">The base model the adapters were trained on.</param>
    /// <param name="template">The template used in training.</param>
    /// <param name="adaptersDirectory">The folder with one <c>&lt;objective&gt;/</c> subfolder per objective.</param>
    /// <param name="cancellationToken">Checked between adapters and between the tensors of each.</param>
    /// <returns>The ensemble, with no training results; the caller owns it.</returns>
    /// <exception cref="InvalidOperationException">No objective was added.</exception>
    /// <exception cref="FileNotFoundException">An objective's adapter files are missing.</exception>
    /// <exception cref="InvalidDataException">An adapter does not fit the base model.</exception>
    /// <exception cref="ArgumentException">The template's tokenizer has more token ids than the base model reads.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested; no adapter is kept.</exception>
    public ObjectiveEnsemble LoadObjectives(
        AdaptableLanguageModel baseModel, PromptTemplate template, string adaptersDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(template);
        template.CheckVocabulary(baseModel.VocabularySize, "the base model", nameof(template));
        ArgumentException.ThrowIfNullOrWhiteSpace(adaptersDirectory);
        RequireObjectives();

        var parts = new EnsembleParts();
        try
        {
            var checkpointLogger = _loggerFactory.CreateLogger(typeof(ModelCheckpoint));
            foreach (var objective in _objectives)
            {
                var adapter = ModelCheckpoint.LoadAdapter(
                    Path.Combine(adaptersDirectory, objective.Name), baseModel, checkpointLogger, cancellationToken);
                parts.Models.Add(new LoraObjectiveModel(objective.Name, baseModel, adapter));
                parts.AddReward(objective, new RewardModelContext(baseModel, template));
            }

            baseModel.SetFrozen(true);
            baseModel.eval();
            EmorlTrainerLog.AdaptersLoaded(_logger, _objectives.Length, adaptersDirectory);
            return parts.ToEnsemble(template, _options.Decoding, _loggerFactory);
        }
        catch
        {
            parts.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Searches the aggregation weights with the highest mean validation reward, EMORL's hierarchical
    /// grid search: levels × 3^K visits.
    /// </summary>
    /// <param name="ensemble">The trained objective models.</param>
    /// <param name="validationStatements">The statements each weight vector is scored on, at least one.</param>
    /// <param name="progress">Receives progress after every grid-point visit, or null.</param>
    /// <param name="cancellationToken">
    /// Checked before every visit and generated token. Once it is canceled, the search stops and
    /// returns what it has scored instead of throwing.
    /// </param>
    /// <returns>
    /// The best weights, their score and the whole search history. After cancellation the result is
    /// partial (<see cref="GridSearchResult.IsPartial"/>): it contains the grid points scored in full
    /// and the best of them; the point whose evaluation was interrupted is dropped.
    /// </returns>
    public GridSearchResult SearchWeights(
        ObjectiveEnsemble ensemble,
        IReadOnlyList<string> validationStatements,
        IProgress<EmorlProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var evaluator = CreateEvaluator(ensemble, validationStatements);
        var search = new HierarchicalGridSearch(_options.Search, _loggerFactory.CreateLogger<HierarchicalGridSearch>());
        var forward = progress is null ? null : new MappedProgress<GridSearchProgress>(
            p => progress.Report(new EmorlProgress(EmorlStage.WeightSearch, "search", p.Evaluations, p.TotalEvaluations, p.BestScore)));
        var result = search.Search(
            ensemble.Aggregator.Count,
            (weights, token) => evaluator.Evaluate(prompts => Decode(ensemble, prompts, weights, token), token).Mean,
            forward,
            cancellationToken);
        if (result.IsPartial)
        {
            EmorlTrainerLog.SearchCanceled(_logger, result.DistinctPoints, result.BestWeights, result.BestScore);
        }
        else
        {
            EmorlTrainerLog.SearchFinished(_logger, result.BestWeights, result.BestScore, result.DistinctPoints);
        }

        return result;
    }

    /// <summary>Generates a response for every statement with the given weights and scores every objective.</summary>
    /// <param name="ensemble">The objective models and their reward models.</param>
    /// <param name="weights">K finite weights ≥ 0, in objective order.</param>
    /// <param name="statements">The statements to evaluate, at least one.</param>
    /// <param name="progress">Receives the statements done after each batch, or null.</param>
    /// <param name="cancellationToken">Checked between batches and generated tokens.</param>
    /// <returns>Per-objective mean scores, their mean, the samples and Distinct-2.</returns>
    public EvaluationResult Evaluate(
        ObjectiveEnsemble ensemble,
        IReadOnlyList<double> weights,
        IReadOnlyList<string> statements,
        IProgress<EmorlProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(weights);
        var evaluator = CreateEvaluator(ensemble, statements);
        var forward = progress is null ? null : new MappedProgress<EvaluationProgress>(
            p => progress.Report(new EmorlProgress(EmorlStage.Evaluation, "evaluation", p.Completed, p.Total, null)));
        var result = evaluator.Evaluate(prompts => Decode(ensemble, prompts, weights, cancellationToken), forward, cancellationToken);
        EmorlTrainerLog.EvaluationFinished(_logger, statements.Count, weights, result.Mean);
        return result;
    }

    private ObjectiveTrainingResult TrainObjective(
        LoraObjectiveModel model,
        IRewardModel reward,
        PromptTemplate template,
        IReadOnlyList<string> trainStatements,
        IReadOnlyList<string> validationStatements,
        IProgress<EmorlProgress>? progress,
        CancellationToken cancellationToken)
    {
        using var trainer = new PolicyTrainer(model, reward, template, _options.Training, _loggerFactory.CreateLogger<PolicyTrainer>());
        var forward = progress is null ? null : new MappedProgress<TrainingProgress>(
            p => progress.Report(new EmorlProgress(EmorlStage.ObjectiveTraining, model.Name, p.Step, p.TotalSteps, p.Value)));
        var result = trainer.Train(trainStatements, validationStatements, forward, cancellationToken);

        // Training that converged early never reports its full step budget; close the stage here.
        double? last = result.ValidationScores.Count > 0 ? result.ValidationScores[^1] : null;
        progress?.Report(new EmorlProgress(EmorlStage.ObjectiveTraining, model.Name, _options.Training.MaxSteps, _options.Training.MaxSteps, last));
        EmorlTrainerLog.ObjectiveTrained(_logger, model.Name, result.Steps, result.Seconds, last ?? double.NaN, result.Converged);
        return result;
    }

    private ObjectiveEvaluator CreateEvaluator(ObjectiveEnsemble ensemble, IReadOnlyList<string> statements) =>
        new(ensemble.Template, ensemble.Rewards, statements, _options.EvaluationBatchSize, _loggerFactory.CreateLogger<ObjectiveEvaluator>())
        {
            NonFiniteRewards = _options.Training.NonFiniteRewards,
        };

    private IReadOnlyList<int[]> Decode(
        ObjectiveEnsemble ensemble, IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<double> weights, CancellationToken cancellationToken) =>
        ensemble.Aggregator.Generate(
            prompts, weights, ensemble.Template.Tokenizer.EndOfTextId, _options.Decoding, cancellationToken: cancellationToken);

    private long AdapterSeed(int index) => (_options.Seed * 100L) + index;

    private void RequireObjectives()
    {
        if (_objectives.Length == 0)
        {
            throw new InvalidOperationException(
                "No objective was added; call AddObjective on the builder that AddEmorl returns, or pass ObjectiveDefinition instances.");
        }
    }

    /// <summary>What an ensemble is built from, disposed together when a stage fails part-way.</summary>
    private sealed class EnsembleParts : IDisposable
    {
        public List<LoraObjectiveModel> Models { get; } = [];

        public List<IRewardModel> Rewards { get; } = [];

        public List<IDisposable> OwnedRewards { get; } = [];

        public List<ObjectiveTrainingResult> Results { get; } = [];

        public IRewardModel AddReward(ObjectiveDefinition objective, RewardModelContext context)
        {
            var reward = objective.CreateReward(context);
            Rewards.Add(reward);
            if (objective.OwnsReward && reward is IDisposable disposable)
            {
                OwnedRewards.Add(disposable);
            }

            return reward;
        }

        public ObjectiveEnsemble ToEnsemble(PromptTemplate template, GenerationOptions decoding, ILoggerFactory loggerFactory) =>
            new(template, Models, Rewards, OwnedRewards, Results, decoding, loggerFactory);

        public void Dispose()
        {
            foreach (var model in Models)
            {
                model.Dispose();
            }

            foreach (var reward in OwnedRewards)
            {
                reward.Dispose();
            }
        }
    }
}
