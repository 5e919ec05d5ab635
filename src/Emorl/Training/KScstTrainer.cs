using System;
using System.Collections.Generic;
using System.Diagnostics;
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
using static TorchSharp.torch;

namespace Emorl.Training;

/// <summary>
/// Trains one objective's LoRA adapter with k-SCST: REINFORCE with the mean reward of a prompt's
/// G samples as baseline, plus a per-token KL penalty to the frozen base model.
/// </summary>
/// <remarks>
/// Laban et al. 2021 (k-SCST), as used by EMORL (Kong et al., SIGDIAL 2025). One step: sample G
/// responses for each of B prompts, score them, reward r = log clip(s), advantage A = r − mean of
/// the prompt's G rewards, loss = −mean(A · Σ_t log π) + β · mean per-token KL (k3), AdamW with
/// global gradient clipping. Unlike EMORL's reference code, sampling runs in evaluation mode, the
/// loss is computed on the sampled token ids, and the KL term has a gradient. log π includes the
/// end-of-text token when a row emitted one, so the policy can learn when to stop. Only the
/// adapter's parameters train; the base stays frozen. Not thread-safe.
/// </remarks>
public sealed partial class KScstTrainer : IDisposable
{
    private readonly LoraObjectiveModel _model;
    private readonly LoraAdapter _adapter;
    private readonly IRewardModel _reward;
    private readonly PromptTemplate _template;
    private readonly KScstOptions _options;
    private readonly optim.Optimizer _optimizer;
    private readonly Random _random;
    private readonly ILogger _logger;
    private int _step;

    /// <summary>Creates a trainer for one objective model.</summary>
    /// <param name="model">The objective model; its adapter trains, its base is frozen here.</param>
    /// <param name="reward">The objective's reward model.</param>
    /// <param name="template">Encodes statements into prompts and decodes responses.</param>
    /// <param name="options">Training settings; validated here.</param>
    /// <param name="logger">Logger, or null for none.</param>
    /// <exception cref="ArgumentException">The model has no adapter, or an option is invalid.</exception>
    public KScstTrainer(
        LoraObjectiveModel model, IRewardModel reward, PromptTemplate template, KScstOptions options, ILogger<KScstTrainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _adapter = model.Adapter ?? throw new ArgumentException(
            $"Objective model '{model.Name}' has no LoRA adapter to train; create one with LoraAdapter.Create.", nameof(model));
        _model = model;
        _reward = reward;
        _template = template;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _random = new Random(unchecked((int)options.Seed));
        model.SharedBase.SetFrozen(true);
        model.SharedBase.eval();
        _optimizer = optim.AdamW(_adapter.Parameters(), options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay);
    }

    /// <summary>Gets the number of optimizer steps taken.</summary>
    public int StepsTaken => _step;

    /// <summary>Runs steps until the convergence rule holds or the step budget is spent.</summary>
    /// <param name="trainStatements">Training client statements, cycled in a seeded shuffled order.</param>
    /// <param name="validationStatements">Validation client statements.</param>
    /// <param name="progress">Receives progress after each step, or null.</param>
    /// <param name="cancellationToken">Checked between steps and tokens.</param>
    /// <returns>Steps, data points, seconds, convergence and the metrics history.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public ObjectiveTrainingResult Train(
        IReadOnlyList<string> trainStatements,
        IReadOnlyList<string> validationStatements,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainStatements);
        ArgumentNullException.ThrowIfNull(validationStatements);
        if (trainStatements.Count == 0 || validationStatements.Count == 0)
        {
            throw new ArgumentException(
                $"Training needs statements in both splits; got {trainStatements.Count} training and " +
                $"{validationStatements.Count} validation statements.", nameof(trainStatements));
        }

        LogTrainingStarted(_logger, _model.Name, _options.MaxSteps, _options.PromptsPerStep, _options.SamplesPerPrompt);
        var stopwatch = Stopwatch.StartNew();
        var validations = new List<double>();
        var steps = new List<TrainingStepMetrics>();
        var order = new Queue<string>();
        bool converged = false;
        while (_step < _options.MaxSteps && !converged)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = NextBatch(order, trainStatements);
            var metrics = Step(batch, cancellationToken);
            steps.Add(metrics);
            LogStep(_logger, _model.Name, metrics.Step, metrics.Loss, metrics.ScoreMean, metrics.Kl);
            if (_step % _options.ValidationInterval == 0 || _step == _options.MaxSteps)
            {
                double score = Validate(validationStatements, cancellationToken);
                validations.Add(score);
                converged = ConvergenceRule.HasConverged(validations, _options.ConvergenceWindow, _options.ConvergenceThreshold);
                LogValidation(_logger, _model.Name, _step, score, converged);
            }

            progress?.Report(new TrainingProgress(_model.Name, _step, _options.MaxSteps, validations.Count > 0 ? validations[^1] : null));
        }

        return new ObjectiveTrainingResult(
            _model.Name, _step, _step * _options.PromptsPerStep, stopwatch.Elapsed.TotalSeconds, converged, validations, steps);
    }

    /// <summary>Takes one optimizer step on a batch of statements.</summary>
    /// <param name="statements">The B client statements of this step.</param>
    /// <param name="cancellationToken">Checked between generated tokens.</param>
    /// <returns>The step's metrics.</returns>
    public TrainingStepMetrics Step(IReadOnlyList<string> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var stopwatch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();

        var rollout = Rollout(statements, cancellationToken);
        using var scores = tensor(rollout.Scores.Select(s => (float)s).ToArray());                    // [N]
        using var rewards = PolicyGradientMath.LogClippedRewards(scores, _options.ScoreFloor, _options.ScoreCeiling);
        using var advantages = PolicyGradientMath.GroupAdvantages(rewards, _options.SamplesPerPrompt);  // [N]
        var (loss, policyLoss, kl) = ComputeLoss(rollout, advantages);
        double gradientNorm = Update(loss);

        _step++;
        double seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
        double mean = rollout.Scores.Average();
        double std = Math.Sqrt(rollout.Scores.Sum(s => (s - mean) * (s - mean)) / rollout.Scores.Count);
        return new TrainingStepMetrics(
            _step, loss.item<float>(), policyLoss.item<float>(), kl.item<float>(), mean, std, rewards.mean().item<float>(),
            rollout.Responses.Average(r => r.Count), gradientNorm, rollout.Responses.Sum(r => r.Count) / seconds);
    }

    /// <summary>Samples G responses for each statement and returns the mean objective score.</summary>
    /// <param name="statements">Validation client statements.</param>
    /// <param name="cancellationToken">Checked between generated tokens.</param>
    /// <returns>The mean score in [0, 1].</returns>
    public double Validate(IReadOnlyList<string> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var chosen = _options.ValidationPrompts > 0 ? statements.Take(_options.ValidationPrompts).ToArray() : statements;
        double total = 0;
        int count = 0;
        foreach (var chunk in chosen.Chunk(Math.Max(1, _options.PromptsPerStep)))
        {
            using var scope = NewDisposeScope();
            var rollout = Rollout(chunk, cancellationToken);
            total += rollout.Scores.Sum(s => Math.Clamp(s, _options.ScoreFloor, _options.ScoreCeiling));
            count += rollout.Scores.Count;
        }

        return total / count;
    }

    /// <inheritdoc />
    public void Dispose() => _optimizer.Dispose();

    private List<string> NextBatch(Queue<string> order, IReadOnlyList<string> statements)
    {
        var batch = new List<string>(_options.PromptsPerStep);
        while (batch.Count < _options.PromptsPerStep)
        {
            if (order.Count == 0)
            {
                var shuffled = statements.ToArray();
                _random.Shuffle(shuffled);
                foreach (var statement in shuffled)
                {
                    order.Enqueue(statement);
                }
            }

            batch.Add(order.Dequeue());
        }

        return batch;
    }

    private RolloutBatch Rollout(IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        int groups = _options.SamplesPerPrompt;
        var repeated = statements.SelectMany(s => Enumerable.Repeat(s, groups)).ToArray();
        var prompts = repeated.Select(_template.EncodePrompt).ToArray();
        _adapter.Training = false;
        var generated = _model.Generate(prompts, _template.Tokenizer.EndOfTextId, _options.Sampling, _random.NextInt64(), cancellationToken);

        var pairs = new PromptResponse[repeated.Length];
        var responses = new IReadOnlyList<int>[repeated.Length];
        for (int i = 0; i < repeated.Length; i++)
        {
            pairs[i] = new PromptResponse(repeated[i], _template.DecodeResponse(generated[i]));
            bool ended = generated[i].Length < _options.Sampling.MaxNewTokens;
            responses[i] = ended ? [.. generated[i], _template.Tokenizer.EndOfTextId] : generated[i];
            LogSample(_logger, _model.Name, pairs[i].Prompt, pairs[i].Response);
        }

        var scores = _reward.Score(pairs);
        if (scores.Count != pairs.Length)
        {
            throw new InvalidOperationException(
                $"Reward model '{_reward.Name}' returned {scores.Count} scores for {pairs.Length} pairs; it must return one score per pair.");
        }

        return new RolloutBatch(prompts, responses, scores);
    }

    private (Tensor Loss, Tensor PolicyLoss, Tensor Kl) ComputeLoss(RolloutBatch rollout, Tensor advantages)
    {
        int pad = _template.Tokenizer.EndOfTextId;
        var (tokens, mask, positions, promptWidth) = PromptBatch.CreateWithResponses(rollout.Prompts, rollout.Responses, pad);
        long width = tokens.shape[1];
        using var targets = tokens[.., promptWidth..];                                              // [N, Lr]
        using var targetMask = mask[.., promptWidth..];                                             // [N, Lr]
        using var referenceLogProbabilities = ReferenceLogProbabilities(tokens, positions, mask, promptWidth, width, targets);

        _adapter.Training = true;
        using var hidden = _model.ForwardHidden(tokens, positions, mask, null);                     // [N, L, H]
        using var predicting = hidden[.., (promptWidth - 1)..(int)(width - 1)];                     // [N, Lr, H]
        using var logits = _model.SharedBase.LanguageModelHead(predicting);                         // [N, Lr, V]
        using var logProbabilities = PolicyGradientMath.TokenLogProbabilities(logits, targets);     // [N, Lr]
        _adapter.Training = false;
        return PolicyGradientMath.KScstLoss(logProbabilities, referenceLogProbabilities, targetMask, advantages, _options.KlCoefficient);
    }

    private Tensor ReferenceLogProbabilities(Tensor tokens, Tensor positions, Tensor mask, int promptWidth, long width, Tensor targets)
    {
        using var noGrad = no_grad();
        using var hidden = _model.SharedBase.ForwardHidden(tokens, positions, mask, null, null);
        using var predicting = hidden[.., (promptWidth - 1)..(int)(width - 1)];
        using var logits = _model.SharedBase.LanguageModelHead(predicting);
        return PolicyGradientMath.TokenLogProbabilities(logits, targets);
    }

    private double Update(Tensor loss)
    {
        _optimizer.zero_grad();
        loss.backward();
        double norm = nn.utils.clip_grad_norm_(_adapter.Parameters(), _options.MaxGradientNorm);
        _optimizer.step();
        return norm;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "k-SCST training of {Objective} started: at most {MaxSteps} steps of {Prompts} prompts × {Samples} samples")]
    private static partial void LogTrainingStarted(ILogger logger, string objective, int maxSteps, int prompts, int samples);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Objective} step {Step}: loss/total={Loss:F4} reward/score_mean={Score:F4} policy/kl={Kl:F5}")]
    private static partial void LogStep(ILogger logger, string objective, int step, double loss, double score, double kl);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Objective} validation after step {Step}: mean score {Score:F4}, converged {Converged}")]
    private static partial void LogValidation(ILogger logger, string objective, int step, double score, bool converged);

    [LoggerMessage(Level = LogLevel.Trace, Message = "{Objective} sample: prompt {Prompt} response {Response}")]
    private static partial void LogSample(ILogger logger, string objective, string prompt, string response);

    private sealed record RolloutBatch(
        IReadOnlyList<IReadOnlyList<int>> Prompts, IReadOnlyList<IReadOnlyList<int>> Responses, IReadOnlyList<double> Scores);
}
