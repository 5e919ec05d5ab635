using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Aggregation;

/// <summary>
/// K objective models that share one base, run in lock-step on the same tokens. Returns each
/// model's last hidden state for the aggregators to combine.
/// </summary>
internal sealed class LockstepModels
{
    private readonly IObjectiveModel[] _models;

    public LockstepModels(IReadOnlyList<IObjectiveModel> models, bool batchAdapters)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0)
        {
            throw new ArgumentException("Aggregation needs at least one objective model.", nameof(models));
        }

        for (int k = 0; k < models.Count; k++)
        {
            if (models[k] is null)
            {
                throw new ArgumentException($"Objective model {k} is null; pass K non-null models.", nameof(models));
            }
        }

        var first = models[0];
        foreach (var model in models.Skip(1))
        {
            if (!ReferenceEquals(model.SharedBase, first.SharedBase))
            {
                throw new ArgumentException(
                    $"Objective models '{first.Name}' and '{model.Name}' use different base models "
                    + $"('{first.Name}': {first.SharedBase.Describe()}; '{model.Name}': {model.SharedBase.Describe()}), "
                    + $"so they share no LM head. {DescribeMismatch(first.SharedBase, model.SharedBase)}",
                    nameof(models));
            }
        }

        _models = models.ToArray();
        BatchesAdapters = batchAdapters && _models.All(m => m is LoraObjectiveModel);
    }

    public int Count => _models.Length;

    private static string DescribeMismatch(AdaptableLanguageModel first, AdaptableLanguageModel second) =>
        first.Describe() == second.Describe()
            ? "The shapes match but the instances differ: load the base model once and build every objective model on that instance."
            : "Their adapters were trained on different base models; train or load every adapter on the same base model.";

    public IReadOnlyList<string> Objectives => _models.Select(m => m.Name).ToArray();

    public bool BatchesAdapters { get; }

    public AdaptableLanguageModel Head => _models[0].SharedBase;

    /// <summary>Checks that there is one finite, non-negative weight per model, and not all of them zero.</summary>
    public void ValidateWeights(IReadOnlyList<double> weights) =>
        AggregationWeights.Validate(weights, Objectives, nameof(weights));

    /// <summary>Starts one generation: stacked adapters with one cache when possible, else one cache per model.</summary>
    public Run Begin(bool useCache)
    {
        if (BatchesAdapters)
        {
            var stack = LoraAdapterStack.TryCreate(Head, _models.Select(m => ((LoraObjectiveModel)m).Adapter).ToArray());
            if (stack is not null)
            {
                return new StackedRun(Head, stack, useCache);
            }
        }

        return new SeparateRun(_models, useCache);
    }

    /// <summary>One generation's state: the decoders, and the models' last hidden states per step.</summary>
    internal abstract class Run : IDisposable
    {
        /// <summary>Reads the prompts and returns every model's state that predicts the first new token, [K, B, H].</summary>
        public abstract Tensor Prefill(Tensor promptTokens, Tensor promptMask);

        /// <summary>Reads one chosen token per row, [B, 1], and returns every model's next state, [K, B, H].</summary>
        public abstract Tensor Advance(Tensor nextTokens);

        public abstract void Dispose();
    }

    /// <summary>K adapters stacked over one base pass: rows [k·B, (k+1)·B) are model k's.</summary>
    private sealed class StackedRun : Run
    {
        private readonly LoraAdapterStack _stack;
        private readonly IHiddenStateDecoder _decoder;

        public StackedRun(AdaptableLanguageModel baseModel, LoraAdapterStack stack, bool useCache)
        {
            _stack = stack;
            _decoder = baseModel.StartDecoding(stack, useCache);
        }

        public override Tensor Prefill(Tensor promptTokens, Tensor promptMask)
        {
            int count = _stack.Count;
            using var stackedTokens = promptTokens.repeat(count, 1);                          // [K·B, S]
            using var stackedMask = promptMask.repeat(count, 1);                              // [K·B, S]
            using var hidden = _decoder.Prefill(stackedTokens, stackedMask);                  // [K·B, H]
            return hidden.reshape(count, promptTokens.shape[0], -1);                          // [K, B, H]
        }

        public override Tensor Advance(Tensor nextTokens)
        {
            int count = _stack.Count;
            using var stackedTokens = nextTokens.repeat(count, 1);                            // [K·B, 1]
            using var hidden = _decoder.Advance(stackedTokens);                                  // [K·B, H]
            return hidden.reshape(count, nextTokens.shape[0], -1);                            // [K, B, H]
        }

        public override void Dispose()
        {
            _decoder.Dispose();
            _stack.Dispose();
        }
    }

    /// <summary>K models, each with its own pass and decoder.</summary>
    private sealed class SeparateRun : Run
    {
        private readonly IHiddenStateDecoder[] _decoders;

        public SeparateRun(IObjectiveModel[] models, bool useCache)
        {
            _decoders = models.Select(m => m.StartDecoding(useCache)).ToArray();
        }

        public override Tensor Prefill(Tensor promptTokens, Tensor promptMask) =>
            StackStates(decoder => decoder.Prefill(promptTokens, promptMask));

        public override Tensor Advance(Tensor nextTokens) => StackStates(decoder => decoder.Advance(nextTokens));

        public override void Dispose()
        {
            foreach (var decoder in _decoders)
            {
                decoder.Dispose();
            }
        }

        private Tensor StackStates(Func<IHiddenStateDecoder, Tensor> read)
        {
            var last = _decoders.Select(read).ToArray();                                       // K × [B, H]
            var stacked = stack(last);                                                         // [K, B, H]
            foreach (var h in last)
            {
                h.Dispose();
            }

            return stacked;
        }
    }
}
