using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Tensors;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Training;

/// <summary>
/// Trains a base model with next-token loss on (statement, response) pairs, so that a model with
/// no pretrained weights writes counselor-like text before RL starts.
/// </summary>
/// <remarks>AdamW with linear warm-up over the first 5% of steps, then cosine decay to 10% of the peak rate. Not thread-safe.</remarks>
public sealed partial class SupervisedWarmup
{
    private readonly WarmupOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a warm-up trainer.</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="logger">Logger, or null for none.</param>
    public SupervisedWarmup(WarmupOptions options, ILogger<SupervisedWarmup>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Trains every parameter of <paramref name="model"/> on the pairs.</summary>
    /// <param name="model">The model to train; left frozen and in evaluation mode, also after cancellation or divergence.</param>
    /// <param name="template">Encodes statements and responses.</param>
    /// <param name="train">Training (statement, response) pairs.</param>
    /// <param name="validation">Validation pairs for the final loss; may be empty.</param>
    /// <param name="progress">Receives progress every step, or null.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <returns>Losses, time and validation perplexity.</returns>
    public WarmupResult Train(
        AdaptableLanguageModel model,
        PromptTemplate template,
        IReadOnlyList<(string Statement, string Response)> train,
        IReadOnlyList<(string Statement, string Response)> validation,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Count == 0)
        {
            throw new ArgumentException("The warm-up needs at least one training pair.", nameof(train));
        }

        var encoded = Encode(template, train, _logger);
        var stopwatch = Stopwatch.StartNew();
        var losses = new List<double>(_options.Steps);
        model.SetFrozen(false);
        model.train();
        LogStarted(_logger, train.Count, _options.Steps, _options.BatchSize);
        try
        {
            RunSteps(model, template, encoded, losses, progress, cancellationToken);
        }
        finally
        {
            // A cancelled or diverged warm-up also leaves the model frozen and in evaluation mode.
            model.eval();
            model.SetFrozen(true);
        }

        double validationLoss = validation.Count == 0 ? double.NaN : ResponseLoss(model, template, validation);
        return new WarmupResult(_options.Steps, stopwatch.Elapsed.TotalSeconds, losses, validationLoss, Math.Exp(validationLoss));
    }

    private void RunSteps(
        AdaptableLanguageModel model,
        PromptTemplate template,
        List<(IReadOnlyList<int> Prompt, IReadOnlyList<int> Response)> encoded,
        List<double> losses,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var random = new Random(unchecked((int)_options.Seed));
        using (var optimizer = optim.AdamW(model.parameters(), _options.LearningRate, 0.9, 0.95, 1e-8, _options.WeightDecay))
        {
            int[] order = [];
            int cursor = 0;
            for (int step = 0; step < _options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = new List<(IReadOnlyList<int>, IReadOnlyList<int>)>(_options.BatchSize);
                while (batch.Count < _options.BatchSize)
                {
                    if (cursor == order.Length)
                    {
                        order = Enumerable.Range(0, encoded.Count).ToArray();
                        random.Shuffle(order);
                        cursor = 0;
                    }

                    batch.Add(encoded[order[cursor++]]);
                }

                SetLearningRate(optimizer, step);
                losses.Add(TrainStep(model, optimizer, batch, template.Tokenizer.EndOfTextId, step + 1));
                if ((step + 1) % 50 == 0)
                {
                    LogStep(_logger, step + 1, losses[^1]);
                }

                progress?.Report(new TrainingProgress("warm-up", step + 1, _options.Steps, losses[^1]));
            }
        }
    }

    /// <summary>Computes the mean cross-entropy of response tokens (end-of-text included) given their prompts.</summary>
    /// <param name="model">The model, in evaluation mode.</param>
    /// <param name="template">Encodes statements and responses.</param>
    /// <param name="pairs">The (statement, response) pairs.</param>
    /// <returns>Mean loss per response token, in nats.</returns>
    public static double ResponseLoss(AdaptableLanguageModel model, PromptTemplate template, IReadOnlyList<(string Statement, string Response)> pairs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(pairs);
        double total = 0;
        long count = 0;
        foreach (var chunk in Encode(template, pairs).Chunk(32))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (tokens, mask, promptWidth) = PromptBatch.CreateWithResponses(
                chunk.Select(c => c.Prompt).ToArray(), chunk.Select(c => c.Response).ToArray(), template.Tokenizer.EndOfTextId);
            var responses = tokens[.., promptWidth..];                                              // [B, T]
            var hidden = model.ContinuationHidden(tokens[.., ..promptWidth], mask[.., ..promptWidth], responses, (LoraAdapter?)null);
            var logProbabilities = PolicyGradientMath.TokenLogProbabilities(model.LanguageModelHead(hidden), responses);
            var responseMask = mask[.., promptWidth..];
            total -= (logProbabilities * responseMask.to(float32)).sum().item<float>();
            count += responseMask.sum().item<long>();
        }

        return total / Math.Max(count, 1);
    }

    private static List<(IReadOnlyList<int> Prompt, IReadOnlyList<int> Response)> Encode(
        PromptTemplate template, IReadOnlyList<(string Statement, string Response)> pairs, ILogger? logger = null)
    {
        var prompts = template.EncodePrompts(pairs.Select(p => p.Statement).ToArray(), logger);
        return pairs.Select((p, i) => (prompts[i], template.EncodeResponse(p.Response))).ToList();
    }

    private double TrainStep(
        AdaptableLanguageModel model, optim.Optimizer optimizer, List<(IReadOnlyList<int> Prompt, IReadOnlyList<int> Response)> batch, int pad, int step)
    {
        using var scope = NewDisposeScope();
        var (tokens, mask, promptWidth) = PromptBatch.CreateWithResponses(
            batch.Select(b => b.Prompt).ToArray(), batch.Select(b => b.Response).ToArray(), pad);
        var (logProbabilities, lossMask) = model.WarmupTerms(
            tokens[.., ..promptWidth], mask[.., ..promptWidth], tokens[.., promptWidth..], mask[.., promptWidth..], _options.ResponseOnlyLoss);
        var loss = -PolicyGradientMath.MaskedMean(logProbabilities, lossMask);
        optimizer.zero_grad();
        loss.backward();
        double gradientNorm = nn.utils.clip_grad_norm_(model.parameters(), _options.MaxGradientNorm);
        double value = loss.item<float>();
        if (!double.IsFinite(value) || !double.IsFinite(gradientNorm))
        {
            // Stopping before optimizer.step keeps NaN out of the model's weights.
            throw new TrainingDivergedException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"The supervised warm-up diverged at step {step}: the loss is {value} and the gradient norm {gradientNorm}, "
                    + $"so the update was not applied. Lower WarmupOptions.LearningRate (now {_options.LearningRate}) or "
                    + $"MaxGradientNorm (now {_options.MaxGradientNorm})."),
                "warm-up",
                step,
                new NotFiniteNumberException(value));
        }

        optimizer.step();
        return value;
    }

    private void SetLearningRate(optim.Optimizer optimizer, int step)
    {
        int warmup = Math.Max(1, _options.Steps / 20);
        double rate = step < warmup
            ? _options.LearningRate * (step + 1) / warmup
            : _options.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * (step - warmup) / Math.Max(1, _options.Steps - warmup))));
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = rate;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warm-up started: {Pairs} pairs, {Steps} steps of {BatchSize}")]
    private static partial void LogStarted(ILogger logger, int pairs, int steps, int batchSize);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Warm-up step {Step}: loss/next_token={Loss:F4}")]
    private static partial void LogStep(ILogger logger, int step, double loss);
}
