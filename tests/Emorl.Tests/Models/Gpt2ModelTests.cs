using System.Linq;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Tests.Models;

[Collection("Torch")]
public sealed class Gpt2ModelTests
{
    [Fact]
    public void GreedyTokensMatchWithAndWithoutCache()
    {
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 3);
        var objective = new LoraObjectiveModel("test", model, adapter, ownsAdapter: false);
        var cached = GenerationOptions.CreateGreedy(24);
        var uncached = GenerationOptions.CreateGreedy(24);
        uncached.UseCache = false;

        var withCache = objective.Generate(TinyModels.Prompts(), TinyModels.EndOfText, cached);
        var withoutCache = objective.Generate(TinyModels.Prompts(), TinyModels.EndOfText, uncached);

        Assert.Equal(3, withCache.Count);
        for (int row = 0; row < withCache.Count; row++)
        {
            Assert.Equal(withoutCache[row], withCache[row]);
        }

        Assert.True(withCache.Sum(r => r.Length) > 10, "the tiny model should emit tokens before end-of-text");
    }

    [Fact]
    public void LeftPaddingDoesNotChangeARowsTokens()
    {
        using var model = TinyModels.Create();
        var objective = new LoraObjectiveModel("base", model, null);
        var options = GenerationOptions.CreateGreedy(12);
        var prompts = TinyModels.Prompts();

        var batched = objective.Generate(prompts, TinyModels.EndOfText, options);
        var alone = objective.Generate([prompts[1]], TinyModels.EndOfText, options);

        Assert.Equal(alone[0], batched[1]);
    }

    [Fact]
    public void NewAdapterLeavesHiddenStatesUnchanged()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions(), 11);
        using var tokens = tensor(new long[] { 1, 2, 3, 4 }, [1, 4]);
        using var positions = arange(4L).unsqueeze(0);
        using var mask = ones([1, 4], ScalarType.Bool);

        using var plain = model.ForwardHidden(tokens, positions, mask, null, null);
        using var adapted = model.ForwardHidden(tokens, positions, mask, null, adapter);

        Assert.True(plain.allclose(adapted, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void AdapterCoversEveryProjection()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 8 }, 1);

        Assert.Equal(4 * TinyModels.Options().LayerCount, adapter.Targets.Count);
        // Per layer: c_attn 8·(32+96), attn c_proj 8·(32+32), c_fc 8·(32+128), mlp c_proj 8·(128+32).
        Assert.Equal(2 * 8 * (128 + 64 + 160 + 160), adapter.ParameterCount);
    }

    [Fact]
    public void ParameterNamesFollowHuggingFaceGpt2()
    {
        using var model = TinyModels.Create();

        var names = model.named_parameters().Select(p => p.name).ToHashSet();

        Assert.Contains("wte.weight", names);
        Assert.Contains("wpe.weight", names);
        Assert.Contains("h.1.attn.c_attn.weight", names);
        Assert.Contains("h.0.mlp.c_proj.bias", names);
        Assert.Contains("ln_f.weight", names);
    }
}
