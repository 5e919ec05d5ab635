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
/// Merges K LoRA adapters of one base model into a single model, W = W_0 + Σ_k w_k · (alpha_k / r_k) · B_k A_k
/// for every adapted projection: the "Model Soups" baseline of EMORL.
/// </summary>
/// <remarks>
/// Parameter aggregation in the sense of Rewarded Soups (Ramé et al., NeurIPS 2023), which
/// interpolates fine-tuned weights. On LoRA models that interpolation is this weighted sum of the
/// low-rank updates.
/// The weights are not normalised, so unlike hidden-state aggregation their scale matters. The
/// merged model is a copy: the base model and the adapters never change. <see cref="Gpt2Model"/>
/// stores projection weights [in, out] as GPT-2's Conv1D does, so each update is added as
/// (B A)ᵀ, with A [r, in] and B [out, r]. Not thread-safe.
/// </remarks>
public sealed class ParameterAggregation : IDisposable
{
    private readonly Gpt2Model _baseModel;
    private readonly LoraAdapter[] _adapters;
    private Gpt2Model? _merged;
    private double[]? _mergedWeights;

    /// <summary>Creates an aggregation over adapters trained on <paramref name="baseModel"/>.</summary>
    /// <param name="baseModel">The shared base model; not owned and never changed.</param>
    /// <param name="adapters">The K adapters, K ≥ 1, in weight order; not owned.</param>
    /// <exception cref="ArgumentException">The list is empty, or an adapter does not fit the base model.</exception>
    public ParameterAggregation(Gpt2Model baseModel, IReadOnlyList<LoraAdapter> adapters)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(adapters);
        if (adapters.Count == 0)
        {
            throw new ArgumentException("Parameter aggregation needs at least one adapter.", nameof(adapters));
        }

        var projections = baseModel.AdaptableProjections().ToDictionary(p => p.Path, StringComparer.Ordinal);
        for (int k = 0; k < adapters.Count; k++)
        {
            ArgumentNullException.ThrowIfNull(adapters[k], nameof(adapters));
            foreach (var path in adapters[k].Targets)
            {
                adapters[k].TryGetFactors(path, out var a, out var b);
                bool found = projections.TryGetValue(path, out var projection);
                if (!found || a.shape[1] != projection.InFeatures || b.shape[0] != projection.OutFeatures)
                {
                    string baseShape = found
                        ? $"in {projection.InFeatures}, out {projection.OutFeatures}"
                        : "no such projection";
                    throw new ArgumentException(
                        $"Adapter {k} does not fit the base model at '{path}': the adapter has in {a.shape[1]}, "
                        + $"out {b.shape[0]} and the base model ({LockstepModels.DescribeBase(baseModel)}) has "
                        + $"{baseShape}. Merge only adapters trained on this base model.",
                        nameof(adapters));
                }
            }
        }

        _baseModel = baseModel;
        _adapters = adapters.ToArray();
    }

    /// <summary>Gets K, the number of merged adapters.</summary>
    public int Count => _adapters.Length;

    /// <summary>Builds a new model whose adapted projections hold W_0 + Σ_k w_k · (alpha_k / r_k) · B_k A_k.</summary>
    /// <param name="weights">K finite weights ≥ 0, not all zero; they need not sum to 1.</param>
    /// <returns>A frozen model in evaluation mode; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The weights have the wrong length, a negative or non-finite value, or are all zero.</exception>
    public Gpt2Model Merge(IReadOnlyList<double> weights)
    {
        ValidateWeights(weights);
        var merged = new Gpt2Model(_baseModel.Options, seed: 0);
        try
        {
            CopyBase(merged);
            AddUpdates(merged, weights);
        }
        catch
        {
            merged.Dispose();
            throw;
        }

        merged.eval();
        merged.SetFrozen(true);
        return merged;
    }

    /// <summary>Generates one response per prompt with the model merged from <paramref name="weights"/>.</summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite weights ≥ 0, not all zero.</param>
    /// <param name="endOfTextId">The id that ends a response; also used for padding.</param>
    /// <param name="options">Greedy or sampling settings.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <remarks>One merged copy is kept and merged again only when the weights change, so a weight search costs one merge per point.</remarks>
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
        if (_merged is null || _mergedWeights is null || !_mergedWeights.SequenceEqual(weights))
        {
            _merged ??= new Gpt2Model(_baseModel.Options, seed: 0);
            CopyBase(_merged);
            AddUpdates(_merged, weights);
            _merged.eval();
            _merged.SetFrozen(true);
            _mergedWeights = weights.ToArray();
        }

        using var model = new LoraObjectiveModel("parameters", _merged, null);
        return model.Generate(prompts, endOfTextId, options, seed, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _merged?.Dispose();
        _merged = null;
        _mergedWeights = null;
    }

    private void CopyBase(Gpt2Model target)
    {
        var source = _baseModel.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in target.named_parameters())
        {
            parameter.copy_(source[name]);
        }
    }

    private void AddUpdates(Gpt2Model target, IReadOnlyList<double> weights)
    {
        using var noGrad = no_grad();
        foreach (var (path, weight) in target.ProjectionWeights())
        {
            for (int k = 0; k < _adapters.Length; k++)
            {
                if (weights[k] == 0 || !_adapters[k].TryGetFactors(path, out var a, out var b))
                {
                    continue;
                }

                using var product = matmul(b, a);                                           // [out, in]
                using var update = product.t().mul(weights[k] * _adapters[k].Options.Scale);   // [in, out]
                weight.add_(update);
            }
        }
    }

    private void ValidateWeights(IReadOnlyList<double> weights) =>
        AggregationWeights.Validate(weights, _adapters.Select((_, k) => "adapter " + k.ToString(CultureInfo.InvariantCulture)).ToArray(), nameof(weights));
}
