using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// Adds a low-rank update to the output of a projection: one LoRA adapter, or K adapters applied to
/// K slices of a stacked batch.
/// </summary>
internal interface IProjectionUpdate
{
    /// <summary>Returns the update for one projection, or null when this projection is not adapted.</summary>
    /// <param name="path">Projection path, such as <c>h.0.attn.c_attn</c>.</param>
    /// <param name="input">The projection's input, [.., in].</param>
    /// <returns>[.., out] to add to the projection's output; the caller owns it.</returns>
    Tensor? Update(string path, Tensor input);
}
