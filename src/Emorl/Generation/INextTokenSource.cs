using System;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>
/// Produces next-token scores for the decoding loop: one model, or several models aggregated by
/// hidden states or by probabilities. Owns whatever KV caches it uses between <see cref="Begin"/>
/// and <see cref="IDisposable.Dispose"/>.
/// </summary>
internal interface INextTokenSource : IDisposable
{
    /// <summary>Gets the device of the models' weights, where the loop creates its token tensors.</summary>
    Device Device { get; }

    /// <summary>Gets the number of token ids the models read, so every prompt id lies in [0, VocabularySize).</summary>
    int VocabularySize { get; }

    /// <summary>Gets the most positions the models read, prompt and generated tokens together.</summary>
    int ContextLength { get; }

    /// <summary>Starts a new sequence batch, creating fresh caches when <paramref name="useCache"/> is set.</summary>
    void Begin(bool useCache);

    /// <summary>
    /// Reads new tokens and returns the next-token scores at the last position, [B, V]: logits, or
    /// log-probabilities for a mixture. With caches off, the caller passes the whole sequence.
    /// </summary>
    Tensor NextTokenLogits(Tensor tokens, Tensor positions, Tensor keyMask);
}
