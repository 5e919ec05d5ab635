using System;
using System.Collections.Generic;
using System.Globalization;
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
                    + $"('{first.Name}': {DescribeBase(first.SharedBase)}; '{model.Name}': {DescribeBase(model.SharedBase)}), "
                    + $"so they share no LM head. {DescribeMismatch(first.SharedBase, model.SharedBase)}",
                    nameof(models));
            }
        }

        _models = models.ToArray();
        BatchesAdapters = batchAdapters && _models.All(m => m is LoraObjectiveModel);
    }

    public int Count => _models.Length;

    /// <summary>Describes a base model's shape for error messages.</summary>
    internal static string DescribeBase(Gpt2Model model)
    {
        Gpt2Options options = model.Options;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"vocabulary {options.VocabularySize}, hidden size {options.HiddenSize}, {options.LayerCount} layers, "
            + $"{options.HeadCount} heads, context {options.ContextLength}");
    }

    private static string DescribeMismatch(Gpt2Model first, Gpt2Model second)
    {
        Gpt2Options a = first.Options;
        Gpt2Options b = second.Options;
        bool sameShape = a.VocabularySize == b.VocabularySize && a.HiddenSize == b.HiddenSize
            && a.LayerCount == b.LayerCount && a.HeadCount == b.HeadCount && a.ContextLength == b.ContextLength;
        return sameShape
            ? "The shapes match but the instances differ: load the base model once and build every objective model on that instance."
            : "Their adapters were trained on different base models; train or load every adapter on the same base model.";
    }

    public IReadOnlyList<string> Objectives => _models.Select(m => m.Name).ToArray();

    public bool BatchesAdapters { get; }

    public Gpt2Model Head => _models[0].SharedBase;

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

    /// <summary>One generation's state: the caches, and the models' last hidden states per step.</summary>
    internal abstract class Run : IDisposable
    {
        /// <summary>Returns the last position's hidden state of every model, [K, B, H].</summary>
        public abstract Tensor LastHidden(Tensor tokens, Tensor positions, Tensor keyMask);

        public abstract void Dispose();
    }

    /// <summary>K adapters stacked over one base pass: rows [k·B, (k+1)·B) are model k's.</summary>
    private sealed class StackedRun : Run
    {
        private readonly Gpt2Model _base;
        private readonly LoraAdapterStack _stack;
        private readonly KeyValueCache? _cache;

        public StackedRun(Gpt2Model baseModel, LoraAdapterStack stack, bool useCache)
        {
            _base = baseModel;
            _stack = stack;
            _cache = useCache ? baseModel.CreateCache() : null;
        }

        public override Tensor LastHidden(Tensor tokens, Tensor positions, Tensor keyMask)
        {
            int count = _stack.Count;
            using var stackedTokens = tokens.repeat(count, 1);                                 // [K·B, T]
            using var stackedPositions = positions.repeat(count, 1);
            using var stackedMask = keyMask.repeat(count, 1);                                  // [K·B, Tk]
            using var hidden = _base.ForwardHidden(stackedTokens, stackedPositions, stackedMask, _cache, _stack);
            using var last = hidden[.., -1, ..];                                               // [K·B, H]
            return last.reshape(count, tokens.shape[0], -1);                                   // [K, B, H]
        }

        public override void Dispose()
        {
            _cache?.Dispose();
            _stack.Dispose();
        }
    }

    /// <summary>K models, each with its own pass and cache.</summary>
    private sealed class SeparateRun : Run
    {
        private readonly IObjectiveModel[] _models;
        private readonly KeyValueCache?[] _caches;

        public SeparateRun(IObjectiveModel[] models, bool useCache)
        {
            _models = models;
            _caches = models.Select(m => useCache ? m.SharedBase.CreateCache() : null).ToArray();
        }

        public override Tensor LastHidden(Tensor tokens, Tensor positions, Tensor keyMask)
        {
            var last = new Tensor[_models.Length];
            for (int k = 0; k < _models.Length; k++)
            {
                using var hidden = _models[k].ForwardHidden(tokens, positions, keyMask, _caches[k]);   // [B, T, H]
                last[k] = hidden[.., -1, ..];                                                       // [B, H]
            }

            var stacked = stack(last);                                                         // [K, B, H]
            foreach (var h in last)
            {
                h.Dispose();
            }

            return stacked;
        }

        public override void Dispose()
        {
            foreach (var cache in _caches)
            {
                cache?.Dispose();
            }
        }
    }
}
