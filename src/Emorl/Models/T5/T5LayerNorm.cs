using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// T5's layer norm: x / sqrt(mean(x²) + ε) · weight, a root-mean-square norm with no mean
/// subtraction and no bias (Zhang and Sennrich 2019, "Root Mean Square Layer Normalization").
/// </summary>
internal sealed class T5LayerNorm : nn.Module
{
    private readonly Parameter _weight;
    private readonly double _epsilon;

    public T5LayerNorm(int size, double epsilon) : base(nameof(T5LayerNorm))
    {
        _weight = new Parameter(ones(size));
        _epsilon = epsilon;
        register_parameter("weight", _weight);
    }

    /// <summary>Normalises the last dimension.</summary>
    /// <param name="input">[.., H].</param>
    /// <returns>[.., H]; the caller owns it.</returns>
    public Tensor Forward(Tensor input)
    {
        using var squares = input.square();
        using var variance = squares.mean([-1L], keepdim: true);        // [.., 1]
        using var inverse = variance.add(_epsilon).rsqrt_();
        var normed = input.mul(inverse);
        return normed.mul_(_weight);
    }
}
