namespace Emorl.Tests;

/// <summary>
/// Groups the tests that touch TorchSharp's global state (the random seed, thread-local dispose
/// statistics), so they never run in parallel.
/// </summary>
[CollectionDefinition("Torch", DisableParallelization = true)]
public sealed class TorchCollectionDefinition
{
}
