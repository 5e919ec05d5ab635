using System;
using Emorl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>Picks the next token from logits: greedy, or sampled with temperature, top-k and top-p.</summary>
internal static class TokenPicker
{
    /// <summary>Picks one token per row.</summary>
    /// <param name="logits">[B, V] float32.</param>
    /// <param name="options">Greedy or sampling settings.</param>
    /// <param name="generator">Random source for sampling, or null for the global one.</param>
    /// <returns>[B] int64; the caller owns it.</returns>
    /// <exception cref="NotFiniteNumberException">A logit is NaN or +∞ (−∞ marks a blocked token and is allowed).</exception>
    public static Tensor Pick(Tensor logits, GenerationOptions options, Generator? generator)
    {
        CheckLogits(logits);
        using var scope = NewDisposeScope();
        if (options.VocabularyLimit is int limit && limit < logits.shape[^1])
        {
            using var blocked = arange(logits.shape[^1], device: logits.device).ge(limit);    // [V]
            logits = logits.masked_fill(blocked, float.NegativeInfinity);
        }

        if (options.Greedy)
        {
            return logits.argmax(-1).MoveToOuterDisposeScope();
        }

        var scaled = logits / options.Temperature;
        long vocabulary = scaled.shape[^1];
        if (options.TopK > 0 && options.TopK < vocabulary)
        {
            var (topValues, _) = scaled.topk(options.TopK, dim: -1);
            var threshold = topValues[.., -1].unsqueeze(-1);                               // [B, 1]
            scaled = scaled.masked_fill(scaled.lt(threshold), float.NegativeInfinity);
        }

        if (options.TopP < 1.0)
        {
            var (sorted, order) = scaled.sort(-1, descending: true);
            var cumulative = sorted.softmax(-1).cumsum(-1);
            // Drop a token when the mass before it already reaches top-p, so the first token always stays.
            var before = cumulative - sorted.softmax(-1);
            var dropSorted = before.ge(options.TopP);
            var drop = zeros_like(dropSorted).scatter(-1, order, dropSorted);
            scaled = scaled.masked_fill(drop, float.NegativeInfinity);
        }

        var probabilities = scaled.softmax(-1);
        return multinomial(probabilities, 1, false, generator).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rejects NaN and +∞ logits before they reach argmax, which would pick an arbitrary token, or
    /// multinomial, whose native error does not say where the values came from.
    /// </summary>
    private static void CheckLogits(Tensor logits)
    {
        using var scope = NewDisposeScope();
        bool invalid = logits.isnan().logical_or(logits.isposinf()).any().item<bool>();
        if (invalid)
        {
            throw new NotFiniteNumberException(
                "The model's next-token logits contain NaN or +Infinity, so no token can be picked. The model's "
                + "weights are no longer finite, which usually follows training with too high a learning rate.");
        }
    }
}
