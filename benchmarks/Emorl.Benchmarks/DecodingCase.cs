using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace Emorl.Benchmarks;

/// <summary>The parameters shared by the decoding benchmarks: K models, B prompts, the method and the device.</summary>
public abstract class DecodingCase
{
    /// <summary>Gets or sets K.</summary>
    [ParamsSource(nameof(ModelCounts))]
    public int K { get; set; }

    /// <summary>Gets or sets B.</summary>
    [ParamsSource(nameof(BatchSizes))]
    public int B { get; set; }

    /// <summary>Gets or sets the aggregation method.</summary>
    [ParamsSource(nameof(Methods))]
    public DecodingMethod Method { get; set; }

    /// <summary>Gets or sets the base model's shape (<see cref="BenchmarkSettings.ModelSizes"/>).</summary>
    [ParamsSource(nameof(ModelSizes))]
    public string Model { get; set; } = BenchmarkSettings.SmallModel;

    /// <summary>Gets or sets the device.</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Gets the K values.</summary>
    public static IEnumerable<int> ModelCounts => BenchmarkSettings.ModelCounts;

    public static IEnumerable<DecodingMethod> Methods => BenchmarkSettings.Methods;

    public static IEnumerable<string> ModelSizes => BenchmarkSettings.ModelSizes;

    /// <summary>Gets the B values.</summary>
    public static IEnumerable<int> BatchSizes => BenchmarkSettings.BatchSizes;

    /// <summary>Gets the devices.</summary>
    public static IEnumerable<string> Devices => BenchmarkSettings.Devices;
}
