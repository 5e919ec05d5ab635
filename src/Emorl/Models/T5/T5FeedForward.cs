using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// T5's feed-forward block (<c>DenseReluDense</c>): wo(relu(wi x)) or, gated,
/// wo(gelu_tanh(wi_0 x) ⊙ wi_1 x), with dropout before wo.
/// </summary>
internal sealed class T5FeedForward : nn.Module
{
    private readonly T5Linear? _input;
    private readonly T5Linear? _gate;
    private readonly T5Linear? _linear;
    private readonly T5Linear _output;
    private readonly double _dropout;

    public T5FeedForward(string path, T5Options options) : base(path)
    {
        int model = options.ModelSize;
        int inner = options.FeedForwardSize;
        _dropout = options.Dropout;
        double inputStd = Math.Pow(model, -0.5);
        _output = new T5Linear($"{path}.wo", inner, model, Math.Pow(inner, -0.5));
        if (options.FeedForward == T5FeedForwardKind.GatedGelu)
        {
            _gate = new T5Linear($"{path}.wi_0", model, inner, inputStd);
            _linear = new T5Linear($"{path}.wi_1", model, inner, inputStd);
            register_module("wi_0", _gate);
            register_module("wi_1", _linear);
        }
        else
        {
            _input = new T5Linear($"{path}.wi", model, inner, inputStd);
            register_module("wi", _input);
        }

        register_module("wo", _output);
    }

    public T5Linear[] Projections => _input is null ? [_gate!, _linear!, _output] : [_input, _output];

    /// <summary>Runs the block.</summary>
    /// <param name="input">[B, T, H].</param>
    /// <param name="adapter">LoRA update or null.</param>
    /// <returns>[B, T, H]; the caller owns it.</returns>
    public Tensor Forward(Tensor input, IProjectionUpdate? adapter)
    {
        Tensor activated;                                                              // [B, T, d_ff]
        if (_input is not null)
        {
            using var expanded = _input.Forward(input, adapter);
            activated = nn.functional.relu(expanded);
        }
        else
        {
            using var gate = _gate!.Forward(input, adapter);
            using var linear = _linear!.Forward(input, adapter);
            using var gelu = nn.functional.gelu(gate, GELU.Approximate.tanh);
            activated = gelu.mul(linear);
        }

        using (activated)
        {
            using var dropped = nn.functional.dropout(activated, _dropout, training);
            return _output.Forward(dropped, adapter);
        }
    }
}
