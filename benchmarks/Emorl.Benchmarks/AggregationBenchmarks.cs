using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Emorl.Aggregation;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Benchmarks;

/// <summary>
/// Greedy generation with hidden-state aggregation of K objective models that share one base,
/// against one model alone, on a 4-layer, 128-wide GPT-2-shaped model on the CPU.
/// </summary>
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    private readonly List<LoraAdapter> _adapters = [];
    private Gpt2Model _model = null!;
    private HiddenStateAggregator _aggregator = null!;
    private IReadOnlyList<IReadOnlyList<int>> _prompts = null!;
    private double[] _weights = null!;
    private GenerationOptions _generation = null!;

    /// <summary>Gets or sets K, the number of aggregated models.</summary>
    [Params(1, 3)]
    public int Models { get; set; }

    /// <summary>Gets or sets B, the prompts decoded together.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    /// <summary>Builds the base model, K adapters and B prompts of 32 tokens.</summary>
    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(2);
        _model = new Gpt2Model(new Gpt2Options { VocabularySize = 4096, ContextLength = 128, LayerCount = 4, HiddenSize = 128, HeadCount = 4, Dropout = 0 }, 1);
        _model.eval();
        var objectives = new List<IObjectiveModel>();
        for (int k = 0; k < Models; k++)
        {
            var adapter = LoraAdapter.Create(_model, new LoraOptions(), k);
            _adapters.Add(adapter);
            objectives.Add(new LoraObjectiveModel($"objective{k}", _model, adapter, ownsAdapter: false));
        }

        _aggregator = new HiddenStateAggregator(objectives);
        _weights = Enumerable.Repeat(1.0 / Models, Models).ToArray();
        _prompts = Enumerable.Range(0, Batch).Select(b => (IReadOnlyList<int>)Enumerable.Range(1 + b, 32).ToArray()).ToArray();
        // Fixed length: end-of-text is an id the prompts never contain and greedy decoding of random weights rarely picks.
        _generation = GenerationOptions.CreateGreedy(32);
    }

    /// <summary>Generates 32 tokens per prompt with the K-model aggregate.</summary>
    /// <returns>The number of generated tokens.</returns>
    [Benchmark]
    public int AggregatedGeneration() => _aggregator.Generate(_prompts, _weights, 4095, _generation).Sum(r => r.Length);

    /// <summary>Releases the model and adapters.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var adapter in _adapters)
        {
            adapter.Dispose();
        }

        _model.Dispose();
    }
}
