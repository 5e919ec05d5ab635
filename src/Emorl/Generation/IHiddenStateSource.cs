using System;
using Emorl.Models;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>
/// Produces the hidden states that the shared LM head turns into next-token logits: one model, or
/// several models aggregated. Owns whatever KV caches it uses between <see cref="Begin"/> and
/// <see cref="IDisposable.Dispose"/>.
/// </summary>
internal interface IHiddenStateSource : IDisposable
{
    /// <summary>Gets the base model whose LM head reads the hidden states.</summary>
    Gpt2Model Head { get; }

    /// <summary>Starts a new sequence batch, creating fresh caches when <paramref name="useCache"/> is set.</summary>
    void Begin(bool useCache);

    /// <summary>Returns hidden states [B, T, H] for new tokens; with caches off, pass the whole sequence.</summary>
    Tensor Forward(Tensor tokens, Tensor positions, Tensor keyMask);
}
