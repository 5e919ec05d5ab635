using System.Collections.Generic;
using Emorl.Models;
using static TorchSharp.torch;

namespace Emorl.Tests;

/// <summary>Small models and prompts shared by the model, aggregation and training tests.</summary>
internal static class TinyModels
{
    public const int Vocabulary = 61;

    public const int EndOfText = 60;

    public static Gpt2Options Options() => new()
    {
        VocabularySize = Vocabulary,
        ContextLength = 96,
        LayerCount = 2,
        HiddenSize = 32,
        HeadCount = 4,
        Dropout = 0.0,
    };

    public static Gpt2Model Create(long seed = 7)
    {
        var model = new Gpt2Model(Options(), seed);
        model.eval();
        return model;
    }

    /// <summary>Gives every adapter a non-zero B so it changes the model's output.</summary>
    public static LoraAdapter PerturbedAdapter(Gpt2Model model, long seed)
    {
        var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }, seed);
        using (no_grad())
        {
            var generator = new Generator((ulong)seed + 1000);
            foreach (var (name, value) in adapter.NamedFactors())
            {
                if (name.EndsWith("lora_B.weight", System.StringComparison.Ordinal))
                {
                    using var noise = randn(value.shape, generator: generator).mul_(0.3);
                    value.copy_(noise);
                }
            }
        }

        return adapter;
    }

    public static IReadOnlyList<IReadOnlyList<int>> Prompts() =>
    [
        new[] { 3, 14, 15, 9, 26 },
        new[] { 5, 35 },
        new[] { 8, 9, 7, 9, 3, 2, 3, 8, 4 },
    ];
}
