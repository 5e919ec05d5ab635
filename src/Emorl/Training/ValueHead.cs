using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Training;

/// <summary>
/// PPO's critic: a linear map from the policy's last hidden state (after the final layer norm) to
/// one value per position, V(s_t) = w · h_t + b.
/// </summary>
/// <remarks>
/// Weight and bias start at zero, so the first value-loss gradients leave the shared adapter alone
/// until the head has learned a direction. The value loss trains the head and, through the hidden
/// states, the policy's adapter, as in TRL's AutoModelForCausalLMWithValueHead.
/// </remarks>
internal sealed class ValueHead : nn.Module
{
    private readonly Linear _linear;

    public ValueHead(int hiddenSize) : base("v_head")
    {
        _linear = nn.Linear(hiddenSize, 1);
        using (no_grad())
        {
            _linear.weight!.zero_();
            _linear.bias!.zero_();
        }

        register_module("summary", _linear);
    }

    /// <summary>Maps hidden states [.., H] to values [..].</summary>
    public Tensor Forward(Tensor hidden)
    {
        using var values = _linear.forward(hidden);                 // [.., 1]
        return values.squeeze(-1);
    }
}
