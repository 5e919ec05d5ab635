using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Emorl.Aggregation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;

namespace Emorl.Benchmarks;

/// <summary>
/// Greedy generation of 64 new tokens for B prompts of 32 tokens through the public API. Each
/// operation is one decoding position, so the reported time is per generated token of a row.
/// </summary>
[MemoryDiagnoser]
[IterationCount(3)]
[WarmupCount(1)]
[InvocationCount(1)]
public class GenerationBenchmarks : DecodingCase
{
    private BenchmarkModels _models = null!;
    private IReadOnlyList<IReadOnlyList<int>> _prompts = null!;
    private HiddenStateAggregator _stacked = null!;
    private HiddenStateAggregator _separate = null!;
    private LogitsAggregator _mixture = null!;
    private IObjectiveModel _merged = null!;
    private GenerationOptions _cached = null!;
    private GenerationOptions _uncached = null!;

    /// <summary>Builds the models and aggregators.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _models = BenchmarkModels.Create(K, Device, Model);
        _prompts = BenchmarkSettings.Prompts(B);
        _stacked = new HiddenStateAggregator(_models.Objectives, batchAdapters: true);
        _separate = new HiddenStateAggregator(_models.Objectives, batchAdapters: false);
        _mixture = new LogitsAggregator(_models.Objectives);
        _merged = new LoraObjectiveModel("merged", _models.Base, null);
        _cached = GenerationOptions.CreateGreedy(BenchmarkSettings.NewTokens);
        _uncached = GenerationOptions.CreateGreedy(BenchmarkSettings.NewTokens);
        _uncached.UseCache = false;
    }

    /// <summary>Generates the full responses.</summary>
    /// <returns>The number of generated tokens.</returns>
    [Benchmark(OperationsPerInvoke = 64)]
    public int Generate()
    {
        const int End = BenchmarkModels.NeverEmitted;
        var weights = _models.UniformWeights;
        var responses = Method switch
        {
            DecodingMethod.HiddenStacked => _stacked.Generate(_prompts, weights, End, _cached),
            DecodingMethod.HiddenSeparate => _separate.Generate(_prompts, weights, End, _cached),
            DecodingMethod.Logits => _mixture.Generate(_prompts, weights, End, _cached),
            DecodingMethod.Merged => _merged.Generate(_prompts, End, _cached),
            _ => _separate.Generate(_prompts, weights, End, _uncached),
        };
        return responses.Sum(r => r.Length);
    }

    /// <summary>Releases the models.</summary>
    [GlobalCleanup]
    public void Cleanup() => _models.Dispose();
}
