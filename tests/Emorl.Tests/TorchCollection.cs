namespace Emorl.Tests;

/// <summary>Tests that touch TorchSharp's global state (seeds, thread counts) run one at a time.</summary>
[CollectionDefinition("Torch", DisableParallelization = true)]
public sealed class TorchTestGroup
{
}
