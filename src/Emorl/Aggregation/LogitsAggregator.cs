using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Emorl.Aggregation;

/// <summary>
/// Decodes with K objective models in lock-step and picks each token from the mixture of their
/// next-token distributions: p = Σ_k w_k · softmax(z_k) / Σ_k w_k.
/// </summary>
/// <remarks>
/// EMORL's logits-aggregation ablation, in its token-synchronous form: every model scores the same
/// shared prefix and the chosen token is appended for all. A weighted sum of logits would equal
/// hidden-state aggregation because the LM head is linear, so the probability mixture is the
/// variant that differs. Each step runs K models and K LM heads. Not thread-safe.
/// </remarks>
public sealed class LogitsAggregator
{
    private readonly LockstepModels _ensemble;
    private readonly ILogger _logger;

    /// <summary>Creates an aggregator over models that share one base model.</summary>
    /// <param name="models">The K objective models, K ≥ 1, in weight order.</param>
    /// <param name="batchAdapters">Whether to stack LoRA adapters of equal rank into one base pass (default true).</param>
    /// <param name="logger">
    /// Logs the models (debug), each generation's step count and time (debug) and cancellations
    /// (information), or null for none. It never logs tokens or text.
    /// </param>
    /// <exception cref="ArgumentException">The list is empty or the models do not share one base.</exception>
    public LogitsAggregator(
        IReadOnlyList<IObjectiveModel> models, bool batchAdapters = true, ILogger<LogitsAggregator>? logger = null)
    {
        _ensemble = new LockstepModels(models, batchAdapters);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        AggregationLog.Created(_logger, _ensemble.Count, _ensemble.Objectives, _ensemble.BatchesAdapters);
    }

    /// <summary>Gets the number of aggregated models, K.</summary>
    public int Count => _ensemble.Count;

    /// <summary>Generates one response per prompt from the weighted mixture of the models' distributions.</summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite non-negative weights, not all zero.</param>
    /// <param name="endOfTextId">The id that ends a response, also used for padding, or -1 for none.</param>
    /// <param name="options">Greedy or sampling settings; temperature and top-k/top-p act on the mixture's log-probabilities.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <exception cref="ArgumentException">The weights have the wrong length, a negative or non-finite value, or are all zero.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested before decoding finished.</exception>
    public IReadOnlyList<int[]> Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<double> weights,
        int endOfTextId,
        GenerationOptions options,
        long? seed = null,
        CancellationToken cancellationToken = default) =>
        DecodingLoop.RequireComplete(
            Generate(prompts, weights, endOfTextId, options, progress: null, seed, cancellationToken), cancellationToken);

    /// <summary>
    /// Generates one response per prompt from the weighted mixture of the models' distributions,
    /// reporting each decoding step, and returns the tokens picked so far when cancellation is requested.
    /// </summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite non-negative weights, not all zero.</param>
    /// <param name="endOfTextId">The id that ends a response, also used for padding, or -1 for none.</param>
    /// <param name="options">Greedy or sampling settings; temperature and top-k/top-p act on the mixture's log-probabilities.</param>
    /// <param name="progress">Receives the step count after each decoding step, on the calling thread, or null.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">
    /// Checked before each decoding step. Once it is canceled, no further token is picked and the
    /// method returns normally.
    /// </param>
    /// <returns>
    /// The new tokens of each row, end-of-text excluded, and the steps done. After cancellation
    /// <see cref="GenerationResult.IsPartial"/> is true and each unfinished row contains the tokens
    /// picked before it, which may be none.
    /// </returns>
    /// <exception cref="ArgumentException">The weights have the wrong length, a negative or non-finite value, or are all zero.</exception>
    public GenerationResult Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<double> weights,
        int endOfTextId,
        GenerationOptions options,
        IProgress<GenerationProgress>? progress,
        long? seed = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        _ensemble.ValidateWeights(weights);
        double total = weights.Sum();

        using var source = new Source(_ensemble, weights.Select(w => w / total).ToArray());
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        return DecodingLoop.RunAndLog(
            source, prompts, endOfTextId, options, generator, progress, _logger, weights, cancellationToken);
    }

    /// <summary>Returns log Σ_k w_k · softmax(H(h_k)) for normalised weights.</summary>
    internal sealed class Source : LockstepSource
    {
        private readonly Tensor _logWeights;

        public Source(LockstepModels ensemble, IReadOnlyList<double> normalisedWeights)
            : base(ensemble)
        {
            using var scope = NewDisposeScope();
            _logWeights = tensor(normalisedWeights.Select(w => (float)Math.Log(w)).ToArray(), device: ensemble.Head.Device)
                .view(-1, 1, 1).DetachFromDisposeScope();                                    // [K, 1, 1]
        }

        public override void Dispose()
        {
            base.Dispose();
            _logWeights.Dispose();
        }

        protected override Tensor Combine(Tensor lastHidden)
        {
            using var logits = Ensemble.Head.LanguageModelHead(lastHidden);                    // [K, B, V]
            using var logProbabilities = logits.log_softmax(-1);
            // log Σ_k exp(log w_k + log p_k), computed stably; a zero weight contributes exp(−∞) = 0.
            using var weighted = logProbabilities + _logWeights;
            return weighted.logsumexp(0);                                                      // [B, V]
        }
    }
}
