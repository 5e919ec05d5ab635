using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
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

    /// <summary>Creates an aggregator over models that share one base model.</summary>
    /// <param name="models">The K objective models, K ≥ 1, in weight order.</param>
    /// <param name="batchAdapters">Whether to stack LoRA adapters of equal rank into one base pass (default true).</param>
    /// <exception cref="ArgumentException">The list is empty or the models do not share one base.</exception>
    public LogitsAggregator(IReadOnlyList<IObjectiveModel> models, bool batchAdapters = true)
    {
        _ensemble = new LockstepModels(models, batchAdapters);
    }

    /// <summary>Gets the number of aggregated models, K.</summary>
    public int Count => _ensemble.Count;

    /// <summary>Generates one response per prompt from the weighted mixture of the models' distributions.</summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite non-negative weights, not all zero.</param>
    /// <param name="endOfTextId">The id that ends a response; also used for padding.</param>
    /// <param name="options">Greedy or sampling settings; temperature and top-k/top-p act on the mixture's log-probabilities.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <exception cref="ArgumentException">The weights have the wrong length, a negative or non-finite value, or are all zero.</exception>
    public IReadOnlyList<int[]> Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<double> weights,
        int endOfTextId,
        GenerationOptions options,
        long? seed = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        _ensemble.ValidateWeights(weights);
        double total = weights.Sum();

        using var source = new Source(_ensemble, weights.Select(w => w / total).ToArray());
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        return DecodingLoop.Run(source, prompts, endOfTextId, options, generator, cancellationToken);
    }

    /// <summary>Returns log Σ_k w_k · softmax(H(h_k)) for normalised weights.</summary>
    internal sealed class Source : INextTokenSource
    {
        private readonly LockstepModels _ensemble;
        private readonly Tensor _logWeights;
        private LockstepModels.Run? _run;

        public Source(LockstepModels ensemble, IReadOnlyList<double> normalisedWeights)
        {
            _ensemble = ensemble;
            _logWeights = tensor(normalisedWeights.Select(w => (float)Math.Log(w)).ToArray(), device: ensemble.Head.Device)
                .view(-1, 1, 1).DetachFromDisposeScope();                                    // [K, 1, 1]
        }

        public Device Device => _ensemble.Head.Device;

        public int VocabularySize => _ensemble.Head.Options.VocabularySize;

        public int ContextLength => _ensemble.Head.Options.ContextLength;

        public void Begin(bool useCache)
        {
            _run?.Dispose();
            _run = _ensemble.Begin(useCache);
        }

        public Tensor NextTokenLogits(Tensor tokens, Tensor positions, Tensor keyMask)
        {
            using var last = _run!.LastHidden(tokens, positions, keyMask);                     // [K, B, H]
            using var logits = _ensemble.Head.LanguageModelHead(last);                         // [K, B, V]
            using var logProbabilities = logits.log_softmax(-1);
            // log Σ_k exp(log w_k + log p_k), computed stably; a zero weight contributes exp(−∞) = 0.
            using var weighted = logProbabilities + _logWeights;
            return weighted.logsumexp(0);                                                      // [B, V]
        }

        public void Dispose()
        {
            _run?.Dispose();
            _logWeights.Dispose();
        }
    }
}
