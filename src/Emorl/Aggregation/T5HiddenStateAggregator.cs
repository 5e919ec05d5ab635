using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Models.T5;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Aggregation;

/// <summary>
/// Decodes with K LoRA adapters of one <see cref="T5Model"/> in lock-step and feeds the shared LM
/// head the weighted sum of their last decoder hidden states: logits = H(Σ_k w_k · h_k).
/// </summary>
/// <remarks>
/// This is the T5 form of <see cref="HiddenStateAggregator"/> (Kong et al., "EMORL: Ensemble
/// Multi-Objective Reinforcement Learning for Efficient and Flexible LLM Fine-Tuning", SIGDIAL
/// 2025). Each adapter changes the encoder too, so every model encodes the prompt batch once and
/// keeps its own <see cref="T5DecoderCache"/>. Every model then reads the same decoder prefix (the
/// tokens chosen from the aggregate), so a step costs K cached decoder passes and one LM head.
/// Weights are not normalised: for greedy decoding only their direction matters, under sampling
/// their scale acts as an inverse temperature. Put the model in evaluation mode and leave the
/// adapters' <see cref="LoraAdapter.Training"/> off, or dropout changes the tokens. Not thread-safe.
/// </remarks>
public sealed class T5HiddenStateAggregator
{
    private readonly T5Model _model;
    private readonly LoraAdapter?[] _adapters;
    private readonly string[] _objectives;
    private readonly ILogger _logger;

    /// <summary>Creates an aggregator over adapters of one T5 model.</summary>
    /// <param name="model">The shared frozen base; not owned.</param>
    /// <param name="adapters">
    /// The K adapters, K ≥ 1, in weight order; not owned. A null entry is the base model without
    /// an adapter.
    /// </param>
    /// <param name="objectives">
    /// The objective names, one per adapter, used in messages and logs; null names them
    /// <c>adapter 0</c>, <c>adapter 1</c>, ….
    /// </param>
    /// <param name="logger">
    /// Logs the models (debug), each generation's step count and time (debug) and cancellations
    /// (information), or null for none. It never logs tokens or text.
    /// </param>
    /// <exception cref="ArgumentException">
    /// The adapter list is empty, the names do not match it in count, or an adapter's factors do not
    /// fit the model's projections (it was built for another model).
    /// </exception>
    public T5HiddenStateAggregator(
        T5Model model,
        IReadOnlyList<LoraAdapter?> adapters,
        IReadOnlyList<string>? objectives = null,
        ILogger<T5HiddenStateAggregator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapters);
        if (adapters.Count == 0)
        {
            throw new ArgumentException(
                "The adapter list is empty; pass at least one adapter, or null for the base model.", nameof(adapters));
        }

        _objectives = objectives?.ToArray()
            ?? Enumerable.Range(0, adapters.Count).Select(k => $"adapter {k}").ToArray();
        if (_objectives.Length != adapters.Count)
        {
            throw new ArgumentException(
                $"Got {_objectives.Length} objective names for {adapters.Count} adapters; pass one name per adapter.",
                nameof(objectives));
        }

        for (int k = 0; k < adapters.Count; k++)
        {
            if (adapters[k] is { } adapter)
            {
                EnsureAdapterFits(model, adapter, _objectives[k], nameof(adapters));
            }
        }

        _model = model;
        _adapters = adapters.ToArray();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        AggregationLog.Created(_logger, _adapters.Length, _objectives, false);
    }

    /// <summary>Gets the number of aggregated models, K.</summary>
    public int Count => _adapters.Length;

    /// <summary>Gets the objective names, in weight order.</summary>
    public IReadOnlyList<string> Objectives => _objectives;

    /// <summary>Generates one response per prompt with the given weights.</summary>
    /// <param name="prompts">
    /// Prompt token ids, each non-empty and in [0, V), usually ending with <c>&lt;/s&gt;</c>.
    /// </param>
    /// <param name="weights">K finite non-negative weights, not all zero; they need not sum to 1.</param>
    /// <param name="options">Greedy or sampling settings.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, <c>&lt;/s&gt;</c> and everything after it excluded.</returns>
    /// <exception cref="ArgumentException">
    /// A prompt is empty or has an id outside [0, V), or the weights have the wrong length, a
    /// negative or non-finite value, or are all zero.
    /// </exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested before decoding finished.</exception>
    public IReadOnlyList<int[]> Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<double> weights,
        GenerationOptions options,
        long? seed = null,
        CancellationToken cancellationToken = default) =>
        DecodingLoop.RequireComplete(
            Generate(prompts, weights, options, null, seed, cancellationToken), cancellationToken);

    /// <summary>
    /// Generates one response per prompt with the given weights, reporting each decoding step, and
    /// returns the tokens picked so far when cancellation is requested.
    /// </summary>
    /// <param name="prompts">Prompt token ids, each non-empty and in [0, V).</param>
    /// <param name="weights">K finite non-negative weights, not all zero; they need not sum to 1.</param>
    /// <param name="options">Greedy or sampling settings.</param>
    /// <param name="progress">Receives the step count after each decoding step, on the calling thread, or null.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">
    /// Checked before each decoding step. Once it is canceled, no further token is picked and the
    /// method returns normally.
    /// </param>
    /// <returns>
    /// The new tokens of each row, <c>&lt;/s&gt;</c> excluded, and the steps done. After cancellation
    /// <see cref="GenerationResult.IsPartial"/> is true and each unfinished row contains the tokens
    /// picked before it, which may be none.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// A prompt is empty or has an id outside [0, V), or the weights have the wrong length, a
    /// negative or non-finite value, or are all zero.
    /// </exception>
    public GenerationResult Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<double> weights,
        GenerationOptions options,
        IProgress<GenerationProgress>? progress,
        long? seed = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        AggregationWeights.Validate(weights, _objectives, nameof(weights));
        options.Validate();
        T5Generation.ValidatePrompts(prompts, _model.Options.VocabularySize);

        long started = Stopwatch.GetTimestamp();
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        int endOfSequenceId = _model.Options.EndOfSequenceId;
        var result = Decode(prompts, weights, options, endOfSequenceId, generator, progress, cancellationToken);
        int tokens = result.Responses.Sum(r => r.Length);
        if (result.IsPartial)
        {
            GenerationLog.Canceled(_logger, result.Steps, options.MaxNewTokens, tokens, prompts.Count);
        }
        else
        {
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            GenerationLog.Generated(_logger, tokens, prompts.Count, result.Steps, elapsedMs, weights);
        }

        return result;
    }

    /// <summary>
    /// Runs the decoding loop on checked inputs. <paramref name="endOfSequenceId"/> ends a row, and
    /// an id outside the vocabulary never does, so every step runs.
    /// </summary>
    internal GenerationResult Decode(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<double> weights,
        GenerationOptions options,
        int endOfSequenceId,
        Generator? generator,
        IProgress<GenerationProgress>? progress,
        CancellationToken cancellationToken)
    {
        int rows = prompts.Count;
        if (rows == 0)
        {
            return new GenerationResult([], 0, false);
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var run = new Run(_model, _adapters, weights, prompts, options.UseCache);
        var responses = Enumerable.Range(0, rows).Select(_ => new List<int>(options.MaxNewTokens)).ToArray();
        var finished = new bool[rows];
        int finishedCount = 0;
        int steps = 0;
        bool isPartial = false;
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                isPartial = true;
                break;
            }

            using var stepScope = NewDisposeScope();
            using var logits = run.NextTokenLogits();                                             // [B, V]
            long[] picked = TokenPicker.Pick(logits, options, generator).data<long>().ToArray();
            finishedCount += RecordPicks(picked, finished, responses, endOfSequenceId, _model.Options.PaddingId);
            steps = step + 1;
            progress?.Report(new GenerationProgress(steps, options.MaxNewTokens, finishedCount, rows));
            if (finishedCount == rows || steps == options.MaxNewTokens)
            {
                break;
            }

            run.Append(picked);
        }

        return new GenerationResult(responses.Select(r => r.ToArray()).ToArray(), steps, isPartial);
    }

    /// <summary>
    /// Appends each unfinished row's pick to its response and marks rows that picked end-of-sequence
    /// as finished. Finished rows are fed the padding id from then on, and their picks are dropped.
    /// Returns how many rows finished at this step.
    /// </summary>
    private static int RecordPicks(
        long[] picked, bool[] finished, List<int>[] responses, int endOfSequenceId, int paddingId)
    {
        int newlyFinished = 0;
        for (int row = 0; row < picked.Length; row++)
        {
            if (!finished[row] && picked[row] == endOfSequenceId)
            {
                finished[row] = true;
                newlyFinished++;
            }

            if (finished[row])
            {
                picked[row] = paddingId;
                continue;
            }

            responses[row].Add((int)picked[row]);
        }

        return newlyFinished;
    }

    private static void EnsureAdapterFits(T5Model model, LoraAdapter adapter, string objective, string paramName)
    {
        var projections = model.AdaptableProjections().ToDictionary(p => p.Path, StringComparer.Ordinal);
        foreach (var path in adapter.Targets)
        {
            adapter.TryGetFactors(path, out var a, out var b);
            bool fits = projections.TryGetValue(path, out var projection)
                && a.shape[1] == projection.InFeatures && b.shape[0] == projection.OutFeatures;
            if (!fits)
            {
                string expected = projection.Path is null
                    ? "no such projection"
                    : $"in {projection.InFeatures}, out {projection.OutFeatures}";
                T5Options o = model.Options;
                throw new ArgumentException(
                    $"The adapter of objective '{objective}' was built for another model: at '{path}' the adapter has "
                    + $"in {a.shape[1]}, out {b.shape[0]} and this T5 model (d_model {o.ModelSize}, d_kv "
                    + $"{o.KeyValueSize}, d_ff {o.FeedForwardSize}, {o.EncoderLayerCount} encoder and "
                    + $"{o.DecoderLayerCount} decoder layers, {o.HeadCount} heads) has {expected}. "
                    + "Create or load every adapter for this model.",
                    paramName);
            }
        }
    }

    /// <summary>
    /// One generation's state: each model's encoder output and decoder cache, and the decoder tokens
    /// fed so far. It owns every tensor it keeps, so a step's scope can be released as a whole.
    /// </summary>
    private sealed class Run : IDisposable
    {
        private readonly T5Model _model;
        private readonly LoraAdapter?[] _adapters;
        private readonly Tensor _weights;                       // [K] float32
        private readonly Tensor _promptMask;                    // [B, S] bool
        private readonly Tensor[] _encoded;                     // K × [B, S, H]
        private readonly T5DecoderCache?[] _caches;
        private Tensor _decoded;                                // [B, T] int64, from the start token
        private Tensor _next;                                   // [B, 1] int64, the last token fed

        public Run(T5Model model, LoraAdapter?[] adapters, IReadOnlyList<double> weights,
            IReadOnlyList<IReadOnlyList<int>> prompts, bool useCache)
        {
            _model = model;
            _adapters = adapters;
            _weights = tensor(weights.Select(w => (float)w).ToArray(), device: model.Device).DetachFromDisposeScope();
            var (promptTokens, promptMask) = T5Generation.PadPrompts(prompts, model.Options.PaddingId, model.Device);
            using (promptTokens)
            {
                _promptMask = promptMask.DetachFromDisposeScope();
                _encoded = adapters
                    .Select(adapter => model.Encode(promptTokens, _promptMask, adapter).DetachFromDisposeScope())
                    .ToArray();
            }

            _caches = adapters.Select(_ => useCache ? model.CreateCache() : null).ToArray();
            _decoded = full([prompts.Count, 1], (long)model.Options.DecoderStartTokenId, dtype: ScalarType.Int64,
                device: model.Device).DetachFromDisposeScope();
            _next = _decoded.clone().DetachFromDisposeScope();
        }

        private bool UsesCache => _caches[0] is not null;

        /// <summary>Computes H(Σ_k w_k · h_k) for the last decoder position, [B, V]. The caller owns it.</summary>
        public Tensor NextTokenLogits()
        {
            using var scope = NewDisposeScope();
            var input = UsesCache ? _next : _decoded;                                         // [B, 1] or [B, T]
            var last = new Tensor[_adapters.Length];
            for (int k = 0; k < _adapters.Length; k++)
            {
                var hidden = _model.DecodeHidden(input, _encoded[k], _promptMask, _caches[k], _adapters[k]);
                last[k] = hidden[.., -1, ..];                                                  // [B, H]
            }

            var combined = HiddenStateAggregator.WeightedSum(stack(last), _weights);           // [B, H]
            return _model.LanguageModelHead(combined).MoveToOuterDisposeScope();                // [B, V]
        }

        /// <summary>
        /// Appends one token per row. The cached path reads only that token, the uncached one the
        /// whole prefix.
        /// </summary>
        public void Append(long[] picked)
        {
            var next = tensor(picked, [picked.Length, 1], device: _model.Device).DetachFromDisposeScope();
            var decoded = cat([_decoded, next], 1).DetachFromDisposeScope();                     // [B, T + 1]
            _next.Dispose();
            _decoded.Dispose();
            _next = next;
            _decoded = decoded;
        }

        public void Dispose()
        {
            foreach (var cache in _caches)
            {
                cache?.Dispose();
            }

            foreach (var encoded in _encoded)
            {
                encoded.Dispose();
            }

            _next.Dispose();
            _decoded.Dispose();
            _promptMask.Dispose();
            _weights.Dispose();
        }
    }
}
