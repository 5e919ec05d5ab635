using System;
using System.Collections.Generic;
using System.Globalization;
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
/// Decodes with K objective models in lock-step and feeds the shared LM head the weighted sum of
/// their last hidden states: logits = H(Σ_k w_k · h_k).
/// </summary>
/// <remarks>
/// This is EMORL's aggregation (Kong et al., "EMORL: Ensemble Multi-Objective Reinforcement
/// Learning for Efficient and Flexible LLM Fine-Tuning", SIGDIAL 2025). Every model reads the same
/// prefix (the tokens chosen from the aggregate) with its own KV cache, so a step costs K cached
/// forward passes and one LM head. Weights are not normalised: for greedy decoding only their
/// direction matters, under sampling their scale acts as an inverse temperature. Not thread-safe.
/// </remarks>
public sealed class HiddenStateAggregator
{
    private readonly LockstepModels _ensemble;
    private readonly ILogger _logger;

    /// <summary>Creates an aggregator over models that share one base model.</summary>
    /// <param name="models">The K objective models, K ≥ 1, in weight order.</param>
    /// <param name="batchAdapters">
    /// Whether to run LoRA objective models of equal rank as one stacked batch through the shared
    /// base (default true). Other models always run one pass each.
    /// </param>
    /// <param name="logger">
    /// Logs the models (debug), each generation's step count and time (debug) and cancellations
    /// (information), or null for none. It never logs tokens or text.
    /// </param>
    /// <exception cref="ArgumentException">The list is empty or the models do not share one base.</exception>
    public HiddenStateAggregator(
        IReadOnlyList<IObjectiveModel> models, bool batchAdapters = true, ILogger<HiddenStateAggregator>? logger = null)
    {
        _ensemble = new LockstepModels(models, batchAdapters);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        AggregationLog.Created(_logger, _ensemble.Count, _ensemble.Objectives, _ensemble.BatchesAdapters);
    }

    /// <summary>
    /// Gets whether decoding stacks the K adapters into one batch: K × B rows go through the base
    /// weights together and each adapter updates its own slice, one KV cache for all.
    /// </summary>
    public bool BatchesAdapters => _ensemble.BatchesAdapters;

    /// <summary>Gets the number of aggregated models, K.</summary>
    public int Count => _ensemble.Count;

    /// <summary>Gets the objective names, in weight order.</summary>
    public IReadOnlyList<string> Objectives => _ensemble.Objectives;

    /// <summary>Generates one response per prompt with the given weights.</summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite non-negative weights, not all zero; they need not sum to 1.</param>
    /// <param name="endOfTextId">
    /// The id that ends a response, also used for padding, or -1 for none, so that every row gets
    /// <see cref="GenerationOptions.MaxNewTokens"/> tokens.
    /// </param>
    /// <param name="options">Greedy or sampling settings.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <exception cref="ArgumentException">
    /// The weights have the wrong length, a negative, non-finite or above-float32 value, or are all zero in
    /// float32; or <paramref name="endOfTextId"/> is outside the vocabulary and not -1.
    /// </exception>
    /// <exception cref="NotFiniteNumberException">The logits became NaN or +Infinity; the message names the weights.</exception>
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
    /// Generates one response per prompt with the given weights, reporting each decoding step, and
    /// returns the tokens picked so far when cancellation is requested.
    /// </summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite non-negative weights, not all zero; they need not sum to 1.</param>
    /// <param name="endOfTextId">
    /// The id that ends a response, also used for padding, or -1 for none, so that every row gets
    /// <see cref="GenerationOptions.MaxNewTokens"/> tokens.
    /// </param>
    /// <param name="options">Greedy or sampling settings.</param>
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
    /// <exception cref="ArgumentException">
    /// The weights have the wrong length, a negative, non-finite or above-float32 value, or are all zero in
    /// float32; or <paramref name="endOfTextId"/> is outside the vocabulary and not -1.
    /// </exception>
    /// <exception cref="NotFiniteNumberException">The logits became NaN or +Infinity; the message names the weights.</exception>
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
        using var source = new Source(_ensemble, weights);
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        try
        {
            return DecodingLoop.RunAndLog(
                source, prompts, endOfTextId, options, generator, progress, _logger, weights, cancellationToken);
        }
        catch (NotFiniteNumberException error)
        {
            // Large weights overflow float32 in the weighted sum even when each weight fits, so name them.
            throw new NotFiniteNumberException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Decoding with weights [{string.Join(", ", weights)}] produced NaN or +Infinity logits. If the weights "
                    + $"are large, divide every weight by the same factor, which keeps greedy decoding unchanged; "
                    + $"otherwise the models' weights are not finite. {error.Message}"),
                error);
        }
    }

    /// <summary>Computes Σ_k w_k · h_k for given hidden states, the aggregation's core operation.</summary>
    /// <param name="hidden">[K, .., H] stacked hidden states.</param>
    /// <param name="weights">[K] float32 weights.</param>
    /// <returns>[.., H]; the caller owns it.</returns>
    public static Tensor WeightedSum(Tensor hidden, Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weights);
        return tensordot(weights, hidden, [0], [0]);
    }

    /// <summary>Feeds the shared LM head the weighted sum of the K last hidden states.</summary>
    internal sealed class Source : LockstepSource
    {
        private readonly Tensor _weights;

        public Source(LockstepModels ensemble, IReadOnlyList<double> weights)
            : base(ensemble)
        {
            using var scope = NewDisposeScope();
            _weights = tensor(weights.Select(w => (float)w).ToArray(), device: ensemble.Head.Device).DetachFromDisposeScope();
        }

        public override void Dispose()
        {
            base.Dispose();
            _weights.Dispose();
        }

        protected override Tensor Combine(Tensor lastHidden)
        {
            using var combined = WeightedSum(lastHidden, _weights);                            // [B, H]
            return Ensemble.Head.LanguageModelHead(combined);                                  // [B, V]
        }
    }
}
