using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// An affine projection stored as GPT-2's Conv1D stores it (weight [in, out]) with an optional LoRA
/// update from the adapter passed to <see cref="Forward"/>.
/// </summary>
internal sealed class Projection : nn.Module
{
    private readonly Parameter _weight;
    private readonly Parameter _bias;

    public Projection(string path, int inFeatures, int outFeatures, double initStd) : base(path)
    {
        Path = path;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _weight = new Parameter(normal(0, initStd, [inFeatures, outFeatures]));
        _bias = new Parameter(zeros(outFeatures));
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
    }

    public string Path { get; }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    /// <summary>Gets the weight, [in, out].</summary>
    public Tensor Weight => _weight;

    /// <summary>Applies x W + b plus the update's low-rank term for this path, if any.</summary>
    /// <param name="input">[.., in].</param>
    /// <param name="update">LoRA update to apply, or null for the base model alone.</param>
    /// <returns>[.., out]; the caller owns it.</returns>
    public Tensor Forward(Tensor input, IProjectionUpdate? update)
    {
        var output = matmul(input, _weight).add_(_bias);
        using var low = update?.Update(Path, input);                 // [.., out]
        return low is null ? output : output.add_(low);
    }
}
