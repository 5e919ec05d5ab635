using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Emorl.Generation;
using static TorchSharp.torch;

namespace Emorl.Benchmarks;

/// <summary>
/// One decoding step of K aggregated models for B prompts. The prompts (32 tokens) are prefilled
/// before each iteration. Each invocation then appends one token per row, so the 16 steps of an
/// iteration read prefixes of 33 to 48 tokens.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(16)]
[IterationCount(5)]
[WarmupCount(2)]
public class DecodingStepBenchmarks : DecodingCase
{
    private BenchmarkModels _models = null!;
    private INextTokenSource _source = null!;
    private TorchSharp.DisposeScope? _scope;
    private Tensor _nextToken = null!;

    /// <summary>Builds the models and the method's source.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _models = BenchmarkModels.Create(K, Device, Model);
        _source = DecodingSources.Create(_models, Method);
    }

    /// <summary>Prefills the prompts into fresh caches.</summary>
    [IterationSetup]
    public void Prefill()
    {
        _scope?.Dispose();
        _scope = NewDisposeScope();
        var device = new Device(Device);
        var (tokens, mask) = PromptBatch.Create(BenchmarkSettings.Prompts(B), 0, device);
        using (no_grad())
        {
            _source.Begin(tokens, mask, DecodingSources.UsesCache(Method));
        }

        _nextToken = full([B, 1], 5L, device: device);
    }

    /// <summary>Reads one new token per row and returns next-token scores.</summary>
    /// <returns>The scores' vocabulary size.</returns>
    [Benchmark]
    public long Step()
    {
        using var noGrad = no_grad();
        using var stepScope = NewDisposeScope();
        var logits = _source.Next(_nextToken);                                                 // [B, V]
        return logits.shape[^1];
    }

    /// <summary>Releases the step tensors, caches and models.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _scope?.Dispose();
        _source.Dispose();
        _models.Dispose();
    }
}
