using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Tensors;
using Emorl.Tokenization;
using static TorchSharp.torch;

namespace Emorl.Rewards;

/// <summary>
/// Scores fluency from the perplexity of the response under a frozen language model:
/// s = clip((C − PPL) / C, 0, 1), with C the perplexity ceiling.
/// </summary>
/// <remarks>
/// EMORL scores fluency as (50 − PPL) / 50 under GPT-2 small. Here PPL = exp(mean negative
/// log-likelihood of the response tokens and the end-of-text token, conditioned on the prompt), so
/// the prompt's own tokens do not count. C is a constructor argument because a small model trained
/// from scratch has a different perplexity scale from GPT-2. An empty response scores 0: it is not
/// fluent text, and scoring only its end-of-text would reward saying nothing.
/// </remarks>
public sealed class PerplexityFluencyReward : IRewardModel
{
    private readonly AdaptableLanguageModel _model;
    private readonly PromptTemplate _template;
    private readonly int _batchSize;

    /// <summary>Creates the scorer.</summary>
    /// <param name="model">The frozen language model; it is used without any adapter.</param>
    /// <param name="template">Encodes prompts and responses for <paramref name="model"/>.</param>
    /// <param name="maxPerplexity">C, the perplexity at which the score reaches 0. Default 50 (EMORL's value under GPT-2).</param>
    /// <param name="name">The objective's name. Default <c>fluency</c>.</param>
    /// <param name="batchSize">Pairs per forward pass. Default 32.</param>
    public PerplexityFluencyReward(AdaptableLanguageModel model, PromptTemplate template, double maxPerplexity = 50, string name = "fluency", int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (!(maxPerplexity > 1) || double.IsInfinity(maxPerplexity))
        {
            throw new ArgumentOutOfRangeException(nameof(maxPerplexity), maxPerplexity, "The perplexity ceiling must be a finite number above 1.");
        }

        _model = model;
        _template = template;
        _batchSize = batchSize;
        MaxPerplexity = maxPerplexity;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Gets C, the perplexity at which the score reaches 0.</summary>
    public double MaxPerplexity { get; }

    /// <summary>Maps a perplexity to a score: clip((C − PPL) / C, 0, 1).</summary>
    /// <param name="perplexity">The perplexity, ≥ 1.</param>
    /// <param name="maxPerplexity">C.</param>
    /// <returns>The score in [0, 1].</returns>
    public static double ScoreFromPerplexity(double perplexity, double maxPerplexity) =>
        double.IsNaN(perplexity) ? 0 : Math.Clamp((maxPerplexity - perplexity) / maxPerplexity, 0, 1);

    /// <summary>Computes each response's perplexity given its prompt.</summary>
    /// <param name="pairs">The pairs.</param>
    /// <returns>One perplexity per pair; infinity for an empty response.</returns>
    public IReadOnlyList<double> Perplexities(IReadOnlyList<PromptResponse> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        PromptTemplate.CheckStatements(pairs.Select(p => p.Prompt).ToArray(), nameof(pairs));
        var result = new double[pairs.Count];
        int end = _template.Tokenizer.EndOfTextId;
        for (int start = 0; start < pairs.Count; start += _batchSize)
        {
            var chunk = pairs.Skip(start).Take(_batchSize).ToArray();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var prompts = chunk.Select(p => _template.EncodePrompt(p.Prompt)).ToArray();
            var responses = chunk.Select(p => _template.EncodeResponse(p.Response)).ToArray();
            var (tokens, mask, promptWidth) = PromptBatch.CreateWithResponses(prompts, responses, end);
            var responseTokens = tokens[.., promptWidth..];                                         // [B, T]
            var hidden = _model.ContinuationHidden(tokens[.., ..promptWidth], mask[.., ..promptWidth], responseTokens, (LoraAdapter?)null);
            var logProbabilities = PolicyGradientMath.TokenLogProbabilities(_model.LanguageModelHead(hidden), responseTokens);
            var responseMask = mask[.., promptWidth..].to(float32);
            var meanNll = (-(logProbabilities * responseMask).sum([1L]) / responseMask.sum([1L])).data<float>().ToArray();
            for (int i = 0; i < chunk.Length; i++)
            {
                result[start + i] = string.IsNullOrWhiteSpace(chunk[i].Response) ? double.PositiveInfinity : Math.Exp(meanNll[i]);
            }
        }

        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        Perplexities(pairs).Select(p => ScoreFromPerplexity(p, MaxPerplexity)).ToArray();
}
