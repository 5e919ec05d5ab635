using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
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
    private readonly IObjectiveModel[] _models;

    /// <summary>Creates an aggregator over models that share one base model.</summary>
    /// <param name="models">The K objective models, K ≥ 1, in weight order.</param>
    /// <param name="batchAdapters">
    /// Whether to run LoRA objective models of equal rank as one stacked batch through the shared
    /// base (default true). Other models always run one pass each.
    /// </param>
    /// <exception cref="ArgumentException">The list is empty or the models do not share one base.</exception>
    public HiddenStateAggregator(IReadOnlyList<IObjectiveModel> models, bool batchAdapters = true)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0)
        {
            throw new ArgumentException("Aggregation needs at least one objective model.", nameof(models));
        }

        var first = models[0];
        foreach (var model in models.Skip(1))
        {
            if (!ReferenceEquals(model.SharedBase, first.SharedBase))
            {
                throw new ArgumentException(
                    $"Objective models '{first.Name}' and '{model.Name}' use different base models, so they " +
                    "share no LM head; build every objective model on the same base model instance.",
                    nameof(models));
            }
        }

        _models = models.ToArray();
        BatchesAdapters = batchAdapters && _models.All(m => m is LoraObjectiveModel);
    }

    /// <summary>
    /// Gets whether decoding stacks the K adapters into one batch: K × B rows go through the base
    /// weights together and each adapter updates its own slice, one KV cache for all.
    /// </summary>
    public bool BatchesAdapters { get; }

    /// <summary>Gets the number of aggregated models, K.</summary>
    public int Count => _models.Length;

    /// <summary>Gets the objective names, in weight order.</summary>
    public IReadOnlyList<string> Objectives => _models.Select(m => m.Name).ToArray();

    /// <summary>Generates one response per prompt with the given weights.</summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite non-negative weights; they need not sum to 1.</param>
    /// <param name="endOfTextId">The id that ends a response; also used for padding.</param>
    /// <param name="options">Greedy or sampling settings.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <exception cref="ArgumentException">The weights have the wrong length or a negative or non-finite value.</exception>
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
        ValidateWeights(weights);
        using var source = CreateSource(weights);
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        return DecodingLoop.Run(source, prompts, endOfTextId, options, generator, cancellationToken);
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

    private INextTokenSource CreateSource(IReadOnlyList<double> weights)
    {
        if (BatchesAdapters)
        {
            var baseModel = _models[0].SharedBase;
            var stack = LoraAdapterStack.TryCreate(baseModel, _models.Select(m => ((LoraObjectiveModel)m).Adapter).ToArray());
            if (stack is not null)
            {
                return new StackedSource(baseModel, stack, weights);
            }
        }

        return new AggregatedSource(_models, weights);
    }

    private void ValidateWeights(IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != _models.Length)
        {
            throw new ArgumentException(
                $"Got {weights.Count} weights for {_models.Length} objective models ({string.Join(", ", Objectives)}); " +
                "pass one weight per model, in the same order.", nameof(weights));
        }

        for (int k = 0; k < weights.Count; k++)
        {
            if (!double.IsFinite(weights[k]) || weights[k] < 0)
            {
                throw new ArgumentException(
                    $"Weight {k} ('{_models[k].Name}') is {weights[k].ToString(CultureInfo.InvariantCulture)}; " +
                    "every weight must be a finite number ≥ 0.", nameof(weights));
            }
        }
    }

    /// <summary>K adapters stacked over one base pass: rows [k·B, (k+1)·B) are model k's.</summary>
    private sealed class StackedSource : INextTokenSource
    {
        private readonly LoraAdapterStack _stack;
        private readonly Tensor _weights;
        private KeyValueCache? _cache;

        public StackedSource(Gpt2Model head, LoraAdapterStack stack, IReadOnlyList<double> weights)
        {
            Head = head;
            _stack = stack;
            _weights = tensor(weights.Select(w => (float)w).ToArray()).DetachFromDisposeScope();
        }

        public Gpt2Model Head { get; }

        public void Begin(bool useCache)
        {
            _cache?.Dispose();
            _cache = useCache ? Head.CreateCache() : null;
        }

        public Tensor NextTokenLogits(Tensor tokens, Tensor positions, Tensor keyMask)
        {
            int count = _stack.Count;
            using var stackedTokens = tokens.repeat(count, 1);                                 // [K·B, T]
            using var stackedPositions = positions.repeat(count, 1);
            using var stackedMask = keyMask.repeat(count, 1);                                  // [K·B, Tk]
            using var hidden = Head.ForwardHidden(stackedTokens, stackedPositions, stackedMask, _cache, _stack);
            using var last = hidden[.., -1, ..].reshape(count, tokens.shape[0], -1);        // [K, B, H]
            using var combined = WeightedSum(last, _weights);                                  // [B, H]
            return Head.LanguageModelHead(combined);                                           // [B, V]
        }

        public void Dispose()
        {
            _cache?.Dispose();
            _stack.Dispose();
            _weights.Dispose();
        }
    }

    /// <summary>K models, each with its own cache, combined by their weighted hidden states.</summary>
    private sealed class AggregatedSource : INextTokenSource
    {
        private readonly IObjectiveModel[] _models;
        private readonly KeyValueCache?[] _caches;
        private readonly Tensor _weights;

        public AggregatedSource(IObjectiveModel[] models, IReadOnlyList<double> weights)
        {
            _models = models;
            _caches = new KeyValueCache?[models.Length];
            _weights = tensor(weights.Select(w => (float)w).ToArray()).DetachFromDisposeScope();
        }

        public void Begin(bool useCache)
        {
            for (int k = 0; k < _models.Length; k++)
            {
                _caches[k]?.Dispose();
                _caches[k] = useCache ? _models[k].SharedBase.CreateCache() : null;
            }
        }

        public Tensor NextTokenLogits(Tensor tokens, Tensor positions, Tensor keyMask)
        {
            var last = new Tensor[_models.Length];
            for (int k = 0; k < _models.Length; k++)
            {
                using var hidden = _models[k].ForwardHidden(tokens, positions, keyMask, _caches[k]);   // [B, T, H]
                last[k] = hidden[.., -1, ..];                                                       // [B, H]
            }

            using var stacked = stack(last);                                                   // [K, B, H]
            foreach (var h in last)
            {
                h.Dispose();
            }

            using var combined = WeightedSum(stacked, _weights);                               // [B, H]
            return _models[0].SharedBase.LanguageModelHead(combined);                          // [B, V]
        }

        public void Dispose()
        {
            foreach (var cache in _caches)
            {
                cache?.Dispose();
            }

            _weights.Dispose();
        }
    }
}
