using System;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// Decodes one batch of prompts step by step and returns, at each step, the last hidden state that
/// predicts the next token. Created by <see cref="AdaptableLanguageModel.StartDecoding(LoraAdapter?, bool)"/>
/// or an objective model; it owns its caches until disposed.
/// </summary>
/// <remarks>
/// Call <see cref="Prefill"/> once, then <see cref="Advance"/> once per chosen token. The tensors it
/// keeps between calls live outside any dispose scope, so a caller may run each step in a scope of
/// its own. Not thread-safe.
/// </remarks>
public interface IHiddenStateDecoder : IDisposable
{
    /// <summary>Reads the prompts and returns the state that predicts the first new token.</summary>
    /// <param name="promptTokens">Left-padded prompt token ids, [B, S] int64, each row with at least one real token.</param>
    /// <param name="promptMask">Which prompt positions hold real tokens, [B, S] bool.</param>
    /// <returns>[B, H] float32; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The shapes disagree, or a token id is outside the model's vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The decoder has already read its prompts.</exception>
    /// <exception cref="ObjectDisposedException">The decoder was disposed.</exception>
    Tensor Prefill(Tensor promptTokens, Tensor promptMask);

    /// <summary>Reads one chosen token per row and returns the state that predicts the next one.</summary>
    /// <param name="nextTokens">The chosen token ids, [B, 1] int64.</param>
    /// <returns>[B, H] float32; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The tokens are not [B, 1], or a token id is outside the model's vocabulary.</exception>
    /// <exception cref="InvalidOperationException"><see cref="Prefill"/> has not run yet.</exception>
    /// <exception cref="ObjectDisposedException">The decoder was disposed.</exception>
    Tensor Advance(Tensor nextTokens);
}
