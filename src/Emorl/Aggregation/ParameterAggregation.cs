using System;
using System.Collections.Generic;
using System.Diagnostics;
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
/// Merges K LoRA adapters of one base model into a single model, W = W_0 + Σ_k w_k · (alpha_k / r_k) · B_k A_k
/// for every adapted projection: the "Model Soups" baseline of EMORL.
/// </summary>
/// <remarks>
/// Parameter aggregation in the sense of Rewarded Soups (Ramé et al., NeurIPS 2023), which
/// interpolates fine-tuned weights. On LoRA models that interpolation is this weighted sum of the
/// low-rank updates.
/// The weights are not normalised, so unlike hidden-state aggregation their scale matters. The
/// merged model is a copy: the base model and the adapters never change. Works for GPT-2 and T5
/// bases: <see cref="Gpt2Model"/> stores projection weights [in, out] as GPT-2's Conv1D does, so
/// there each update is added as (B A)ᵀ, with A [r, in] and B [out, r]. Not thread-safe.
/// </remarks>
public sealed class ParameterAggregation : IDisposable
{
    private readonly AdaptableLanguageModel _baseModel;
    private readonly LoraAdapter[] _adapters;
    private readonly ILogger _logger;
    private AdaptableLanguageModel? _merged;
    private double[]? _mergedWeights;

    /// <summary>Creates an aggregation over adapters trained on <paramref name="baseModel"/>.</summary>
    /// <param name="baseModel">The shared base model; not owned and never changed.</param>
    /// <param name="adapters">The K adapters, K ≥ 1, in weight order; not owned.</param>
    /// <param name="logger">
    /// Logs each merge with its weights and time (debug), each generation's step count and time
    /// (debug) and cancellations (information), or null for none. It never logs tokens or text.
    /// </param>
    /// <exception cref="ArgumentException">The list is empty, or an adapter does not fit the base model.</exception>
    public ParameterAggregation(
        AdaptableLanguageModel baseModel, IReadOnlyList<LoraAdapter> adapters, ILogger<ParameterAggregation>? logger = null)
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
                        + $"out {b.shape[0]} and the base model ({baseModel.Describe()}) has "
                        + $"{baseShape}. Merge only adapters trained on this base model.",
                        nameof(adapters));
                }
            }
        }

        _baseModel = baseModel;
        _adapters = adapters.ToArray();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets K, the number of merged adapters.</summary>
    public int Count => _adapters.Length;

    /// <summary>Builds a new model whose adapted projections hold W_0 + Σ_k w_k · (alpha_k / r_k) · B_k A_k.</summary>
    /// <param name="weights">K finite weights ≥ 0, not all zero; they need not sum to 1.</param>
    /// <returns>A frozen model in evaluation mode; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The weights have the wrong length, a negative or non-finite value, or are all zero.</exception>
    public AdaptableLanguageModel Merge(IReadOnlyList<double> weights)
    {
        ValidateWeights(weights);
        var merged = _baseModel.CreateSameShape();
        try
        {
            MergeInto(merged, weights);
        }
        catch
        {
            merged.Dispose();
            throw;
        }

        return merged;
    }

    /// <summary>Generates one response per prompt with the model merged from <paramref name="weights"/>.</summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite weights ≥ 0, not all zero.</param>
    /// <param name="endOfTextId">The id that ends a response, also used for padding, or -1 for none.</param>
    /// <param name="options">Greedy or sampling settings.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested before decoding finished.</exception>
    /// <remarks>One merged copy is kept and merged again only when the weights change, so a weight search costs one merge per point.</remarks>
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
    /// Generates one response per prompt with the model merged from <paramref name="weights"/>,
    /// reporting each decoding step, and returns the tokens picked so far when cancellation is requested.
    /// </summary>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="weights">K finite weights ≥ 0, not all zero.</param>
    /// <param name="endOfTextId">The id that ends a response, also used for padding, or -1 for none.</param>
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
    /// <remarks>One merged copy is kept and merged again only when the weights change, so a weight search costs one merge per point.</remarks>
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
        ValidateWeights(weights);
        if (_merged is null || _mergedWeights is null || !_mergedWeights.SequenceEqual(weights))
        {
            _merged ??= _baseModel.CreateSameShape();
            MergeInto(_merged, weights);
            _mergedWeights = weights.ToArray();
        }

        using var model = new LoraObjectiveModel("parameters", _merged, null);
        using var source = new SingleModelSource(model);
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        return DecodingLoop.RunAndLog(
            source, prompts, endOfTextId, options, generator, progress, _logger, weights, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _merged?.Dispose();
        _merged = null;
        _mergedWeights = null;
    }

    /// <summary>Overwrites <paramref name="target"/> with the base weights plus the weighted updates and freezes it.</summary>
    private void MergeInto(AdaptableLanguageModel target, IReadOnlyList<double> weights)
    {
        long started = Stopwatch.GetTimestamp();
        CopyBase(target);
        int projections = AddUpdates(target, weights);
        target.eval();
        target.SetFrozen(true);
        double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        AggregationLog.Merged(_logger, _adapters.Length, projections, weights, elapsedMs);
    }

    private void CopyBase(AdaptableLanguageModel target)
    {
        var source = _baseModel.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in target.named_parameters())
        {
            parameter.copy_(source[name]);
        }
    }

    /// <summary>Adds the weighted low-rank updates; returns how many projections changed.</summary>
    private int AddUpdates(AdaptableLanguageModel target, IReadOnlyList<double> weights)
    {
        using var noGrad = no_grad();
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, weight, inputMajor) in target.ProjectionWeights())
        {
            for (int k = 0; k < _adapters.Length; k++)
            {
                if (weights[k] == 0 || !_adapters[k].TryGetFactors(path, out var a, out var b))
                {
                    continue;
                }

                using var product = matmul(b, a);                                           // [out, in]
                using var oriented = inputMajor ? product.t() : product.alias();               // as the weight is stored
                using var update = oriented.mul(weights[k] * _adapters[k].Options.Scale);
                weight.add_(update);
                changed.Add(path);
            }
        }

        return changed.Count;
    }

    private void ValidateWeights(IReadOnlyList<double> weights) =>
        AggregationWeights.Validate(weights, _adapters.Select((_, k) => "adapter " + k.ToString(CultureInfo.InvariantCulture)).ToArray(), nameof(weights));
}
