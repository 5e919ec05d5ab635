using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Tensors;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Training;

/// <summary>
/// Fine-tunes one LoRA adapter with k-SCST, RLOO or PPO on a reward model that scores one or
/// several objectives, with KL control to the frozen base model, checkpoints and resume.
/// </summary>
/// <remarks>
/// One step samples G responses for each of B prompts and scores every objective. The scores
/// become one scalar reward per response (transform, objective weights, optional normalisation),
/// and the advantages come from a group baseline, a leave-one-out baseline, or GAE with a value
/// head. AdamW with global gradient clipping then updates the adapter and PPO's value head. Sampling and the
/// rollout's log-probabilities run in evaluation mode. The base model stays frozen and is the KL
/// reference. All randomness (prompt order, sampling, adapter dropout, minibatch order, DynaOpt
/// draws) comes from one seeded generator whose state the checkpoint stores, so a resumed run on
/// the CPU repeats the uninterrupted one. Each update seeds torch's global generator, which adapter
/// dropout uses. Not thread-safe.
/// </remarks>
public sealed partial class PolicyTrainer : IDisposable
{
    private readonly LoraObjectiveModel _model;
    private readonly LoraAdapter _adapter;
    private readonly IRewardModel _reward;
    private readonly PromptTemplate _template;
    private readonly GenerationOptions _sampling;
    private readonly PolicyTrainerOptions _options;
    private readonly ILogger _logger;
    private readonly ValueHead? _valueHead;
    private readonly Parameter[] _parameters;
    private readonly AdamW _optimizer;
    private readonly PolicyForward _forward;
    private readonly PolicyUpdate _update;
    private readonly TrainingRandom _random;
    private readonly KlController _kl;
    private readonly RunningRewardNormalizer? _normalizer;
    private readonly DynaOptWeighting? _dynaOpt;
    private readonly double[] _fixedWeights;
    private readonly string _objectiveNames;
    private readonly List<double> _validationScores = [];
    private readonly List<IReadOnlyList<double>> _validationObjectiveScores = [];
    private readonly Queue<int> _order = new();
    private int _trainCount = -1;
    private int _step;
    private int _dataPoints;
    private int _optimizerSteps;
    private double _seconds;
    private bool _converged;

    /// <summary>Creates a trainer for one policy.</summary>
    /// <param name="model">The policy: its adapter trains, its base is frozen here and is the KL reference.</param>
    /// <param name="reward">Scores each response on one or more objectives.</param>
    /// <param name="template">Encodes statements into prompts and decodes responses.</param>
    /// <param name="options">Training settings; validated here.</param>
    /// <param name="logger">Logger, or null for none.</param>
    /// <exception cref="ArgumentException">The model has no adapter, an option is invalid, or the weights do not match the objectives.</exception>
    public PolicyTrainer(
        LoraObjectiveModel model, IRewardModel reward, PromptTemplate template, PolicyTrainerOptions options, ILogger<PolicyTrainer>? logger = null)
        : this(model, reward, template, options, (ILogger?)logger)
    {
    }

    internal PolicyTrainer(LoraObjectiveModel model, IRewardModel reward, PromptTemplate template, PolicyTrainerOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        template.CheckVocabulary(
            model.SharedBase.VocabularySize, $"objective '{model.Name}'", nameof(template));
        _adapter = model.Adapter ?? throw new ArgumentException(
            $"Objective model '{model.Name}' has no LoRA adapter to train; create one with LoraAdapter.Create.", nameof(model));
        _model = model;
        _reward = reward;
        _template = template;
        _options = options;
        _sampling = options.Sampling.LimitedTo(template.Tokenizer.VocabularySize, model.SharedBase.VocabularySize);
        _logger = logger ?? NullLogger.Instance;
        Objectives = (reward.Objectives ?? throw new ArgumentException(
            $"Reward model '{reward.Name}' returned null from Objectives; return its objective names.", nameof(reward))).ToArray();
        _objectiveNames = string.Join(", ", Objectives);
        _fixedWeights = FixedWeights(options, Objectives);

        _random = new TrainingRandom(unchecked((ulong)options.Seed));
        model.SharedBase.SetFrozen(true);
        model.SharedBase.eval();
        _valueHead = options.Algorithm == PolicyAlgorithm.Ppo ? new ValueHead(model.SharedBase.HiddenSize) : null;
        _parameters = [.. _adapter.Parameters(), .. _valueHead?.parameters() ?? []];
        _optimizer = optim.AdamW(_parameters, options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay);
        _forward = new PolicyForward(model, _valueHead, options.Sampling.Temperature, options.EntropyCoefficient > 0);
        _update = new PolicyUpdate(options, _forward, _optimizer, _parameters);
        _kl = options.TargetKl is double target
            ? KlController.CreateAdaptive(options.KlCoefficient, target, options.KlHorizon)
            : KlController.CreateFixed(options.KlCoefficient);
        _normalizer = options.NormalizeRewards ? new RunningRewardNormalizer(options.RewardClip) : null;
        if (options.RewardWeighting == RewardWeighting.DynaOpt)
        {
            _dynaOpt = new DynaOptWeighting(Objectives.Count, options.DynaOptGamma);
            _dynaOpt.Begin(_random.NextDouble());
        }
    }

    /// <summary>Gets the objectives of the reward model, in weight order.</summary>
    public IReadOnlyList<string> Objectives { get; }

    /// <summary>Gets the number of steps taken, resumed ones included.</summary>
    public int StepsTaken => _step;

    /// <summary>Gets the training prompts consumed so far, resumed steps included (EMORL's data-point count).</summary>
    public int DataPoints => _dataPoints;

    /// <summary>Gets the current KL coefficient β.</summary>
    public double KlCoefficient => _kl.Coefficient;

    /// <summary>Gets the objective weights the next step uses.</summary>
    public IReadOnlyList<double> ObjectiveWeights => _dynaOpt?.RewardWeights.ToArray() ?? _fixedWeights.ToArray();

    /// <summary>Gets whether the convergence rule has stopped training.</summary>
    public bool HasConverged => _converged;

    /// <summary>Runs steps until the convergence rule is met or the step budget is spent, continuing a loaded checkpoint.</summary>
    /// <param name="trainStatements">Training client statements, cycled in a seeded shuffled order.</param>
    /// <param name="validationStatements">Validation client statements.</param>
    /// <param name="progress">Receives progress after each step, or null.</param>
    /// <param name="cancellationToken">
    /// Checked between steps: a cancelled run finishes its current step, writes a checkpoint when
    /// <see cref="PolicyTrainerOptions.CheckpointPath"/> is set, then throws.
    /// </param>
    /// <returns>Steps, data points, seconds, convergence and the metrics of this run's steps.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    /// <exception cref="ArgumentException">A split is empty, or a loaded checkpoint was written for another number of training statements.</exception>
    public ObjectiveTrainingResult Train(
        IReadOnlyList<string> trainStatements,
        IReadOnlyList<string> validationStatements,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ValidateSplits(trainStatements, validationStatements);
        LogTrainingStarted(_logger, _model.Name, _options.Algorithm, _objectiveNames, _step, _options.MaxSteps,
            _options.PromptsPerStep, _options.SamplesPerPrompt);
        var stopwatch = Stopwatch.StartNew();
        double secondsBefore = _seconds;
        var steps = new List<TrainingStepMetrics>();
        while (_step < _options.MaxSteps && !_converged)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _seconds = secondsBefore + stopwatch.Elapsed.TotalSeconds;
                WriteCheckpointIfConfigured();
                LogCancelled(_logger, _model.Name, _step);
                cancellationToken.ThrowIfCancellationRequested();
            }

            var metrics = Step(NextBatch(trainStatements), CancellationToken.None);
            steps.Add(metrics);
            LogStep(_logger, _model.Name, metrics.Step, metrics.Loss, metrics.PolicyLoss, metrics.ValueLoss, metrics.Kl, metrics.KlCoefficient,
                metrics.ClipFraction, metrics.Entropy, metrics.ScoreMean, metrics.TokensPerSecond);
            if (_step % _options.ValidationInterval == 0 || _step == _options.MaxSteps)
            {
                RecordValidation(validationStatements);
            }

            _seconds = secondsBefore + stopwatch.Elapsed.TotalSeconds;
            if (_options.CheckpointInterval > 0 && _step % _options.CheckpointInterval == 0)
            {
                WriteCheckpointIfConfigured();
            }

            progress?.Report(new TrainingProgress(_model.Name, _step, _options.MaxSteps, _validationScores.Count > 0 ? _validationScores[^1] : null));
        }

        WriteCheckpointIfConfigured();
        return new ObjectiveTrainingResult(_model.Name, _step, DataPoints, _seconds, _converged, _validationScores.ToArray(), steps)
        {
            ValidationObjectiveScores = _validationObjectiveScores.ToArray(),
            Objectives = Objectives,
        };
    }

    /// <summary>Takes one step (a rollout and its update) on a batch of statements.</summary>
    /// <param name="statements">The B client statements of this step.</param>
    /// <param name="cancellationToken">Checked between generated tokens.</param>
    /// <returns>The step's metrics.</returns>
    /// <exception cref="TrainingDivergedException">A logit, the loss or the gradient norm is NaN or infinite.</exception>
    /// <exception cref="RewardModelException">The reward model threw or returned an invalid score.</exception>
    public TrainingStepMetrics Step(IReadOnlyList<string> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        if (statements.Count == 0)
        {
            throw new ArgumentException("A step needs at least one statement.", nameof(statements));
        }

        PromptTemplate.CheckStatements(statements, nameof(statements));
        try
        {
            return TakeStep(statements, cancellationToken);
        }
        catch (NotFiniteNumberException error)
        {
            throw Diverged(error);
        }
    }

    private TrainingStepMetrics TakeStep(IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var weights = ObjectiveWeights;
        double beta = _kl.Coefficient;

        var sample = Sample(statements, cancellationToken);
        var rollout = PolicyRollout.Create(_forward, sample.Prompts, sample.Responses, sample.Scores, _template.Tokenizer.EndOfTextId);
        var rewards = ScalarRewards(sample.Scores, weights);
        var tokenKl = rollout.TokenKl(_options.KlEstimator);                                   // [N, Lr]
        var advantages = Advantages(rollout, rewards, tokenKl, beta);
        var update = RunUpdate(rollout, advantages, beta);

        double sequenceKl = tokenKl.sum([1L]).mean().item<float>();
        double kl = PolicyGradientMath.MaskedMean(tokenKl, rollout.ResponseMask).item<float>();
        _kl.Update(sequenceKl, rollout.Count);
        _step++;
        _dataPoints += statements.Count;
        _optimizerSteps += update.OptimizerSteps;
        double seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
        return StepMetricsBuilder.Build(_step, sample, rewards, update, kl, sequenceKl, beta, weights, Objectives, seconds);
    }

    /// <summary>Samples G responses per statement and returns the mean clipped score, averaged over objectives.</summary>
    /// <param name="statements">Validation client statements.</param>
    /// <param name="cancellationToken">Checked between generated tokens.</param>
    /// <returns>The mean score in [0, 1].</returns>
    public double Validate(IReadOnlyList<string> statements, CancellationToken cancellationToken = default) =>
        ValidateObjectives(statements, cancellationToken).Average();

    /// <summary>Samples G responses per statement and returns each objective's mean clipped score.</summary>
    /// <param name="statements">Validation client statements; only the first <see cref="PolicyTrainerOptions.ValidationPrompts"/> when that is set.</param>
    /// <param name="cancellationToken">Checked between generated tokens.</param>
    /// <returns>One mean score in [0, 1] per objective, in <see cref="Objectives"/> order.</returns>
    public IReadOnlyList<double> ValidateObjectives(IReadOnlyList<string> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var chosen = _options.ValidationPrompts > 0 ? statements.Take(_options.ValidationPrompts).ToArray() : statements;
        if (chosen.Count == 0)
        {
            throw new ArgumentException("Validation needs at least one statement.", nameof(statements));
        }

        PromptTemplate.CheckStatements(chosen, nameof(statements));
        var totals = new double[Objectives.Count];
        int count = 0;
        foreach (var chunk in chosen.Chunk(Math.Max(1, _options.PromptsPerStep)))
        {
            using var scope = NewDisposeScope();
            RolloutSample sample;
            try
            {
                sample = Sample(chunk, cancellationToken);
            }
            catch (NotFiniteNumberException error)
            {
                throw Diverged(error);
            }

            foreach (var row in sample.Scores)
            {
                for (int k = 0; k < totals.Length; k++)
                {
                    totals[k] += Math.Clamp(row[k], _options.ScoreFloor, _options.ScoreCeiling);
                }

                count++;
            }
        }

        return totals.Select(t => t / count).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        _valueHead?.Dispose();
    }

    private TrainingDivergedException Diverged(NotFiniteNumberException error) =>
        new(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Training of objective '{_model.Name}' diverged at step {_step + 1}: {error.Message} Lower LearningRate "
                + $"(now {_options.LearningRate}; EMORL uses 1e-4), or clip gradients harder with a smaller MaxGradientNorm "
                + $"(now {_options.MaxGradientNorm}), then train again from the base model or the last checkpoint."),
            _model.Name,
            _step + 1,
            error);

    private static double[] FixedWeights(PolicyTrainerOptions options, IReadOnlyList<string> objectives)
    {
        if (objectives.Count == 0)
        {
            throw new ArgumentException("The reward model lists no objectives; it must score at least one.", nameof(objectives));
        }

        // Metrics and validation scores are keyed by objective name, so a repeated name would hide one column.
        string? repeated = objectives.GroupBy(name => name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (repeated is not null)
        {
            throw new ArgumentException(
                $"The reward model lists the objective '{repeated}' twice in its Objectives ({string.Join(", ", objectives)}); "
                + "give each objective a distinct name.",
                nameof(objectives));
        }

        if (options.ObjectiveWeights is null)
        {
            return Enumerable.Repeat(1.0 / objectives.Count, objectives.Count).ToArray();
        }

        if (options.ObjectiveWeights.Count != objectives.Count)
        {
            throw new ArgumentException(
                $"ObjectiveWeights has {options.ObjectiveWeights.Count} values for {objectives.Count} objectives " +
                $"({string.Join(", ", objectives)}); pass one weight per objective, in that order.", nameof(options));
        }

        return options.ObjectiveWeights.ToArray();
    }

    private void ValidateSplits(IReadOnlyList<string> trainStatements, IReadOnlyList<string> validationStatements)
    {
        ArgumentNullException.ThrowIfNull(trainStatements);
        ArgumentNullException.ThrowIfNull(validationStatements);
        if (trainStatements.Count == 0 || validationStatements.Count == 0)
        {
            throw new ArgumentException(
                $"Training needs statements in both splits; got {trainStatements.Count} training and " +
                $"{validationStatements.Count} validation statements.", nameof(trainStatements));
        }

        if (_trainCount >= 0 && _trainCount != trainStatements.Count)
        {
            throw new ArgumentException(
                $"The loaded checkpoint was written for {_trainCount} training statements but {trainStatements.Count} were passed; " +
                "resume with the same training split.", nameof(trainStatements));
        }

        _trainCount = trainStatements.Count;

        // Encoding both splits once checks every statement and logs one count of the prompts that
        // are cut, where the steps, which encode a batch at a time, would repeat it.
        _template.EncodePrompts(trainStatements, _logger);
        _template.EncodePrompts(validationStatements, _logger);
    }

    private string[] NextBatch(IReadOnlyList<string> statements)
    {
        var batch = new string[_options.PromptsPerStep];
        for (int i = 0; i < batch.Length; i++)
        {
            if (_order.Count == 0)
            {
                var shuffled = Enumerable.Range(0, statements.Count).ToArray();
                _random.Shuffle(shuffled);
                foreach (int index in shuffled)
                {
                    _order.Enqueue(index);
                }
            }

            batch[i] = statements[_order.Dequeue()];
        }

        return batch;
    }

    private void RecordValidation(IReadOnlyList<string> validationStatements)
    {
        var means = ValidateObjectives(validationStatements, CancellationToken.None);
        double score = means.Average();
        _validationScores.Add(score);
        _validationObjectiveScores.Add(means);
        _converged = ConvergenceRule.HasConverged(_validationScores, _options.ConvergenceWindow, _options.ConvergenceThreshold);
        LogValidation(_logger, _model.Name, _step, score, _converged);
        if (_dynaOpt is not null)
        {
            double banditReward = _dynaOpt.Observe(means, _random.NextDouble());
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                string weights = string.Join(", ", _dynaOpt.RewardWeights.Select(w => w.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
                LogDynaOpt(_logger, _model.Name, _step, banditReward, _dynaOpt.CurrentArm ?? -1, weights);
            }
        }
    }

    private RolloutSample Sample(IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        int groups = _options.SamplesPerPrompt;
        var repeated = statements.SelectMany(s => Enumerable.Repeat(s, groups)).ToArray();
        var prompts = repeated.Select(_template.EncodePrompt).ToArray();
        int endOfText = _template.Tokenizer.EndOfTextId;
        _adapter.Training = false;
        var generated = _model.Generate(prompts, endOfText, _sampling, _random.NextSeed(), cancellationToken);

        var pairs = new PromptResponse[repeated.Length];
        var responses = new IReadOnlyList<int>[repeated.Length];
        for (int i = 0; i < repeated.Length; i++)
        {
            pairs[i] = new PromptResponse(repeated[i], _template.DecodeResponse(generated[i]));
            // A row shorter than the budget stopped at end-of-text; keep that token so the policy learns when to stop.
            bool ended = generated[i].Length < _options.Sampling.MaxNewTokens;
            responses[i] = ended ? [.. generated[i], endOfText] : generated[i];
            LogSample(_logger, _model.Name, pairs[i].Prompt, pairs[i].Response);
        }

        return new RolloutSample(prompts, responses, ScorePairs(pairs));
    }

    private IReadOnlyList<double>[] ScorePairs(PromptResponse[] pairs) =>
        RewardScoring.ScoreObjectives(_reward, Objectives, pairs, _options.NonFiniteRewards, _logger);

    private double[] ScalarRewards(IReadOnlyList<IReadOnlyList<double>> scores, IReadOnlyList<double> weights)
    {
        var perObjective = scores.Select(row => (IReadOnlyList<double>)row.Select(TransformScore).ToArray()).ToArray();
        var scalar = RewardScalarization.WeightedSum(perObjective, weights, _options.NormalizeObjectives);
        return _normalizer?.Normalize(scalar) ?? scalar;
    }

    private double TransformScore(double score)
    {
        double clipped = Math.Clamp(score, _options.ScoreFloor, _options.ScoreCeiling);
        return _options.RewardTransform == RewardTransform.LogClipped ? Math.Log(clipped) : clipped;
    }

    private RolloutAdvantages Advantages(PolicyRollout rollout, double[] rewards, Tensor tokenKl, double beta)
    {
        var scalar = tensor(rewards.Select(r => (float)r).ToArray());                           // [N]
        bool shaped = _options.KlPenalty == KlPenaltyPlacement.Reward;
        if (_options.Algorithm == PolicyAlgorithm.Ppo)
        {
            var tokenRewards = PpoMath.TokenRewards(scalar, shaped ? tokenKl : null, rollout.ResponseMask, beta);   // [N, Lr]
            var (advantages, returns) = PpoMath.GeneralizedAdvantages(
                tokenRewards, rollout.OldValues!, rollout.ResponseMask, _options.Gamma, _options.Lambda);
            return new RolloutAdvantages(
                _options.WhitenAdvantages ? PolicyGradientMath.MaskedWhiten(advantages, rollout.ResponseMask) : advantages, returns);
        }

        if (shaped)
        {
            scalar = scalar - tokenKl.sum([1L]) * beta;
        }

        var sequenceAdvantages = _options.Algorithm == PolicyAlgorithm.KScst
            ? PolicyGradientMath.GroupAdvantages(scalar, _options.SamplesPerPrompt)
            : PolicyGradientMath.LeaveOneOutAdvantages(scalar, _options.SamplesPerPrompt);
        if (_options.WhitenAdvantages)
        {
            sequenceAdvantages = PolicyGradientMath.MaskedWhiten(sequenceAdvantages, ones_like(sequenceAdvantages, dtype: ScalarType.Bool));
        }

        return new RolloutAdvantages(sequenceAdvantages, null);
    }

    private UpdateStatistics RunUpdate(PolicyRollout rollout, RolloutAdvantages advantages, double beta)
    {
        // Adapter dropout draws from torch's global generator; seeding it from the trainer's own
        // generator makes the update repeatable after a resume.
        random.manual_seed(_random.NextSeed());
        _adapter.Training = true;
        try
        {
            return _update.Run(rollout, advantages, beta, _random);
        }
        finally
        {
            _adapter.Training = false;
        }
    }

    private void WriteCheckpointIfConfigured()
    {
        if (_options.CheckpointPath is { } path)
        {
            SaveCheckpoint(path);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Algorithm} training of {Model} on [{Objectives}] started at step {Step}: at most {MaxSteps} steps of {Prompts} prompts × {Samples} samples")]
    private static partial void LogTrainingStarted(ILogger logger, string model, PolicyAlgorithm algorithm, string objectives, int step, int maxSteps, int prompts, int samples);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Model} step {Step}: loss/total={Loss:F4} loss/policy={PolicyLoss:F4} loss/value={ValueLoss:F4} " +
        "policy/kl={Kl:F5} policy/kl_coefficient={Beta:F4} policy/clip_fraction={ClipFraction:F3} policy/entropy={Entropy:F3} " +
        "reward/score_mean={Score:F4} perf/tokens_per_second={TokensPerSecond:F1}")]
    private static partial void LogStep(
        ILogger logger, string model, int step, double loss, double policyLoss, double valueLoss, double kl, double beta,
        double clipFraction, double entropy, double score, double tokensPerSecond);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} validation after step {Step}: mean score {Score:F4}, converged {Converged}")]
    private static partial void LogValidation(ILogger logger, string model, int step, double score, bool converged);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Model} DynaOpt after step {Step}: bandit reward {Reward:F4}, arm {Arm}, reward weights [{Weights}]")]
    private static partial void LogDynaOpt(ILogger logger, string model, int step, double reward, int arm, string weights);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} training cancelled after step {Step}")]
    private static partial void LogCancelled(ILogger logger, string model, int step);

    [LoggerMessage(Level = LogLevel.Trace, Message = "{Model} sample: prompt {Prompt} response {Response}")]
    private static partial void LogSample(ILogger logger, string model, string prompt, string response);
}
