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

    /// <summary>Applies x W + b, plus (alpha / r) · dropout(x) Aᵀ Bᵀ when the adapter adapts this path.</summary>
    /// <param name="input">[.., in].</param>
    /// <param name="adapter">The adapter to apply, or null for the base model alone.</param>
    /// <returns>[.., out]; the caller owns it.</returns>
    public Tensor Forward(Tensor input, LoraAdapter? adapter)
    {
        var output = matmul(input, _weight).add_(_bias);
        if (adapter is null || !adapter.TryGetFactors(Path, out var a, out var b))
        {
            return output;
        }

        var adapterInput = nn.functional.dropout(input, adapter.Options.Dropout, adapter.Training);
        using var low = matmul(adapterInput, a.t());                 // [.., r]
        using var update = matmul(low, b.t());                        // [.., out]
        return output.add_(update, alpha: adapter.Options.Scale);
    }
}
