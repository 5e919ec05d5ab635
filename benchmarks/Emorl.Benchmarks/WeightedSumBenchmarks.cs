using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Emorl.Aggregation;
using static TorchSharp.torch;

namespace Emorl.Benchmarks;

/// <summary>
/// The weighted sum Σ_k w_k · h_k of K hidden states [B, 128] alone: one fused contraction against
/// K separate scale-and-add operations.
/// </summary>
[MemoryDiagnoser]
[IterationCount(5)]
[WarmupCount(2)]
public class WeightedSumBenchmarks
{
    private Tensor _hidden = null!;
    private Tensor _weights = null!;
    private Tensor[] _slices = null!;
    private float[] _weightValues = null!;

    /// <summary>Gets or sets K.</summary>
    [ParamsSource(nameof(ModelCounts))]
    public int K { get; set; }

    /// <summary>Gets or sets B.</summary>
    [ParamsSource(nameof(BatchSizes))]
    public int B { get; set; }

    /// <summary>Gets or sets the device.</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets the K values.</summary>
    public static IEnumerable<int> ModelCounts => BenchmarkSettings.ModelCounts;

    /// <summary>Gets the B values.</summary>
    public static IEnumerable<int> BatchSizes => BenchmarkSettings.BatchSizes;

    /// <summary>Gets the devices.</summary>
    public static IEnumerable<string> Devices => BenchmarkSettings.Devices;

    /// <summary>Creates random hidden states and weights.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = new Device(Device);
        _hidden = randn([K, B, 128], device: device);
        _weightValues = new float[K];
        for (int k = 0; k < K; k++)
        {
            _weightValues[k] = (k + 1f) / K;
        }

        _weights = tensor(_weightValues, device: device);
        _slices = new Tensor[K];
        for (int k = 0; k < K; k++)
        {
            _slices[k] = _hidden[k];
        }
    }

    /// <summary>One contraction over K, as the aggregators do.</summary>
    /// <returns>The result's element count.</returns>
    [Benchmark(Baseline = true)]
    public long Fused()
    {
        using var result = HiddenStateAggregator.WeightedSum(_hidden, _weights);
        return result.numel();
    }

    /// <summary>K scale-and-add operations.</summary>
    /// <returns>The result's element count.</returns>
    [Benchmark]
    public long Separate()
    {
        using var result = _slices[0] * _weightValues[0];
        for (int k = 1; k < K; k++)
        {
            result.add_(_slices[k], alpha: _weightValues[k]);
        }

        return result.numel();
    }

    /// <summary>Releases the tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var slice in _slices)
        {
            slice.Dispose();
        }

        _hidden.Dispose();
        _weights.Dispose();
    }
}
