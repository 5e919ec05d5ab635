using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// A bias-free linear projection stored as PyTorch's <c>nn.Linear</c> stores it (weight [out, in]),
/// with an optional LoRA update from the adapter passed to <see cref="Forward"/>.
/// </summary>
internal sealed class T5Linear : nn.Module
{
    private readonly Parameter _weight;

    public T5Linear(string path, int inFeatures, int outFeatures, double initStd) : base(path)
    {
        Path = path;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _weight = new Parameter(normal(0, initStd, [outFeatures, inFeatures]));
        register_parameter("weight", _weight);
    }

    /// <summary>Gets the projection's Hugging Face module path, such as <c>encoder.block.0.layer.0.SelfAttention.q</c>.</summary>
    public string Path { get; }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    /// <summary>Gets the weight, [out, in].</summary>
    public Tensor Weight => _weight;

    /// <summary>Applies x Wᵀ plus the update's low-rank term for this path, if any.</summary>
    /// <param name="input">[.., in].</param>
    /// <param name="update">LoRA update to apply, or null for the base model alone.</param>
    /// <returns>[.., out]; the caller owns it.</returns>
    public Tensor Forward(Tensor input, IProjectionUpdate? update)
    {
        var output = nn.functional.linear(input, _weight);
        using var low = update?.Update(Path, input);                 // [.., out]
        return low is null ? output : output.add_(low);
    }
}
