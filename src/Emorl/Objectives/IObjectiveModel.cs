using TorchSharp;
using Emorl.Models;
using static TorchSharp.torch;

namespace Emorl.Objectives;

/// <summary>
/// A language model fine-tuned for one objective: a shared frozen base plus what makes it differ
/// (for the built-in <see cref="LoraObjectiveModel"/>, one LoRA adapter).
/// </summary>
/// <remarks>
/// Hidden-state aggregation needs models that share one LM head: <see cref="SharedBase"/> must be
/// the same object for every model aggregated together.
/// </remarks>
public interface IObjectiveModel
{
    /// <summary>Gets the objective's name, for example <c>empathy</c>.</summary>
    string Name { get; }

    /// <summary>Gets the frozen base model whose LM head and vocabulary this model uses.</summary>
    Gpt2Model SharedBase { get; }

    /// <summary>Runs the model and returns the last hidden state (after the final layer norm).</summary>
    /// <param name="tokens">[B, T] int64 token ids.</param>
    /// <param name="positions">[B, T] int64 position ids.</param>
    /// <param name="keyMask">[B, cached + T] bool: which key positions hold real tokens.</param>
    /// <param name="cache">KV cache to read and extend, or null.</param>
    /// <returns>[B, T, H] float32; the caller owns it.</returns>
    Tensor ForwardHidden(Tensor tokens, Tensor positions, Tensor keyMask, KeyValueCache? cache);
}
