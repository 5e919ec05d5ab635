using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Models;
using Emorl.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Benchmarks;

/// <summary>
/// A 4-layer, 128-wide GPT-2-shaped base model (vocabulary 4,096, context 160) with K rank-8 LoRA
/// adapters whose B factors are non-zero, on one device.
/// </summary>
public sealed class BenchmarkModels : IDisposable
{
    /// <summary>
    /// An id no prompt contains and that generation never picks, because it lies outside the
    /// vocabulary, so every benchmarked generation runs to its full length.
    /// </summary>
    public const int NeverEmitted = -1;

    private BenchmarkModels(Gpt2Model model, LoraAdapter[] adapters)
    {
        Base = model;
        Adapters = adapters;
        Objectives = adapters.Select((a, k) => (IObjectiveModel)new LoraObjectiveModel($"objective{k}", model, a, ownsAdapter: false)).ToArray();
    }

    /// <summary>Gets the shared base model.</summary>
    public Gpt2Model Base { get; }

    /// <summary>Gets the K adapters.</summary>
    public IReadOnlyList<LoraAdapter> Adapters { get; }

    /// <summary>Gets the K objective models.</summary>
    public IReadOnlyList<IObjectiveModel> Objectives { get; }

    /// <summary>Gets equal weights 1/K.</summary>
    public double[] UniformWeights => Enumerable.Repeat(1.0 / Adapters.Count, Adapters.Count).ToArray();

    /// <summary>Builds the base model of the given shape and K adapters on a device ("cpu" or "cuda").</summary>
    public static BenchmarkModels Create(int count, string device, string size = BenchmarkSettings.SmallModel)
    {
        set_num_threads(Environment.ProcessorCount);
        var options = size == BenchmarkSettings.Gpt2SmallModel
            ? new Gpt2Options { VocabularySize = 50257, ContextLength = 160, LayerCount = 12, HiddenSize = 768, HeadCount = 12, Dropout = 0 }
            : new Gpt2Options { VocabularySize = 4096, ContextLength = 160, LayerCount = 4, HiddenSize = 128, HeadCount = 4, Dropout = 0 };
        var model = new Gpt2Model(options, 1);
        model.to(new Device(device));
        model.eval();
        var adapters = new LoraAdapter[count];
        using (no_grad())
        {
            for (int k = 0; k < count; k++)
            {
                adapters[k] = LoraAdapter.Create(model, new LoraOptions(), k);
                foreach (var (name, value) in adapters[k].NamedFactors().Where(f => f.Name.EndsWith("lora_B.weight", StringComparison.Ordinal)))
                {
                    value.normal_(0, 0.02);
                }
            }
        }

        return new BenchmarkModels(model, adapters);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var adapter in Adapters)
        {
            adapter.Dispose();
        }

        Base.Dispose();
    }
}
