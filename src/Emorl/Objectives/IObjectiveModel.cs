using Emorl.Models;
using static TorchSharp.torch;

namespace Emorl.Objectives;

/// <summary>
/// A language model fine-tuned for one objective: a shared frozen base plus what makes it differ
/// (for the built-in <see cref="LoraObjectiveModel"/>, one LoRA adapter).
/// </summary>
/// <remarks>
/// The base may be a decoder-only <see cref="Gpt2Model"/> or an encoder-decoder
/// <see cref="Models.T5.T5Model"/>; training, aggregation and search use only the members here.
/// Hidden-state aggregation needs models that share one LM head: <see cref="SharedBase"/> must be
/// the same object for every model aggregated together.
/// </remarks>
public interface IObjectiveModel
{
    /// <summary>Gets the objective's name, for example <c>empathy</c>.</summary>
    string Name { get; }

    /// <summary>Gets the frozen base model whose LM head and vocabulary this model uses.</summary>
    AdaptableLanguageModel SharedBase { get; }

    /// <summary>Starts decoding a batch of prompts, one token per row per step.</summary>
    /// <param name="useCache">True to keep keys and values between steps; false to re-read the whole sequence at every step.</param>
    /// <returns>A decoder whose hidden states (after the final layer norm) feed <see cref="SharedBase"/>'s LM head; the caller owns it.</returns>
    IHiddenStateDecoder StartDecoding(bool useCache);

    /// <summary>Returns the hidden states that predict each continuation token under teacher forcing.</summary>
    /// <param name="promptTokens">Left-padded prompt token ids, [B, S] int64.</param>
    /// <param name="promptMask">Which prompt positions hold real tokens, [B, S] bool.</param>
    /// <param name="continuation">Right-padded continuation token ids, [B, T] int64.</param>
    /// <returns>[B, T, H] float32: position t predicts continuation token t; the caller owns it.</returns>
    Tensor ContinuationHidden(Tensor promptTokens, Tensor promptMask, Tensor continuation);
}
