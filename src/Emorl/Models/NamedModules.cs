using TorchSharp;

namespace Emorl.Models;

/// <summary>A container that registers child modules under fixed names, so parameter paths match Hugging Face's.</summary>
internal sealed class NamedModules : torch.nn.Module
{
    public NamedModules(params (string Name, torch.nn.Module Module)[] children) : base(nameof(NamedModules))
    {
        foreach (var (name, module) in children)
        {
            register_module(name, module);
        }
    }
}
