using System;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>
/// Produces next-token scores for the decoding loop: one model, or several models aggregated by
/// hidden states or by probabilities. Owns whatever decoders and caches it uses between
/// <see cref="Begin"/> and <see cref="IDisposable.Dispose"/>.
/// </summary>
internal interface INextTokenSource : IDisposable
{
    /// <summary>Gets the device of the models' weights, where the loop creates its token tensors.</summary>
    Device Device { get; }

    /// <summary>Gets the number of token ids the models read, so every prompt id lies in [0, VocabularySize).</summary>
    int VocabularySize { get; }

    /// <summary>Gets the most positions the models read, prompt and generated tokens together.</summary>
    int ContextLength { get; }

    /// <summary>
    /// Starts a new batch: reads the left-padded prompts [B, S] and their mask, and returns the scores
    /// of the first new token, [B, V]: logits, or log-probabilities for a mixture.
    /// </summary>
    Tensor Begin(Tensor promptTokens, Tensor promptMask, bool useCache);

    /// <summary>Reads one chosen token per row, [B, 1], and returns the next token's scores, [B, V].</summary>
    Tensor Next(Tensor nextTokens);
}
