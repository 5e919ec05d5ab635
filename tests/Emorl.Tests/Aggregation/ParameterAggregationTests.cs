using System;
using System.Linq;
using Emorl.Aggregation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Tests.Aggregation;

[Collection("Torch")]
public sealed class ParameterAggregationTests
{
    [Fact]
    public void MergedProjectionMatchesHandComputation()
    {
        using var model = TinyModels.Create();
        using var first = TinyModels.PerturbedAdapter(model, 1);
        using var second = TinyModels.PerturbedAdapter(model, 2);
        using var aggregation = new ParameterAggregation(model, [first, second]);

        using var merged = aggregation.Merge([0.3, 0.7]);

        const string path = "h.1.mlp.c_fc";
        var baseWeight = model.named_parameters().Single(p => p.name == path + ".weight").parameter;
        var mergedWeight = merged.named_parameters().Single(p => p.name == path + ".weight").parameter;
        first.TryGetFactors(path, out var a1, out var b1);
        second.TryGetFactors(path, out var a2, out var b2);
        double scale = first.Options.Scale;
        // Conv1D layout: the weight is [in, out], the LoRA update B A is [out, in].
        using var expected = baseWeight + matmul(b1, a1).t() * (0.3 * scale) + matmul(b2, a2).t() * (0.7 * scale);
        Assert.True(mergedWeight.allclose(expected, rtol: 0, atol: 1e-5), "merged c_fc weight differs from W + Σ w_k s B_k A_k");
    }

    [Fact]
    public void UnitWeightEqualsAdaptedModel()
    {
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 3);
        using var other = TinyModels.PerturbedAdapter(model, 4);
        using var aggregation = new ParameterAggregation(model, [adapter, other]);
        using var merged = (Gpt2Model)aggregation.Merge([1.0, 0.0]);
        var (tokens, mask) = PromptBatch.Create(TinyModels.Prompts(), TinyModels.EndOfText);
        using var positions = Gpt2Model.PromptPositions(mask);

        using var adapted = model.ForwardHidden(tokens, positions, mask, null, adapter);
        using var fromMerged = merged.ForwardHidden(tokens, positions, mask, null, null);

        Assert.True(fromMerged.allclose(adapted, rtol: 0, atol: 1e-4), "the merged model differs from base + adapter");
    }

    [Fact]
    public void ZeroWeightedAdapterAddsNothing()
    {
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 5);
        using var ignored = TinyModels.PerturbedAdapter(model, 15);
        using var pair = new ParameterAggregation(model, [adapter, ignored]);
        using var single = new ParameterAggregation(model, [adapter]);
        var greedy = GenerationOptions.CreateGreedy(12);

        var fromPair = pair.Generate(TinyModels.Prompts(), [0.6, 0.0], TinyModels.EndOfText, greedy);
        var fromSingle = single.Generate(TinyModels.Prompts(), [0.6], TinyModels.EndOfText, greedy);

        for (int row = 0; row < fromPair.Count; row++)
        {
            Assert.Equal(fromSingle[row], fromPair[row]);
        }
    }

    [Theory]
    [InlineData(new[] { 0.0, 0.0 }, "All 2 weights are 0")]
    [InlineData(new[] { 0.5, -0.25 }, "Weight 1 ('adapter 1') is -0.25, but every weight must be ≥ 0")]
    [InlineData(new[] { double.NaN, 0.5 }, "Weight 0 ('adapter 0') is NaN, but every weight must be a finite number")]
    [InlineData(new[] { 0.5, double.NegativeInfinity }, "Weight 1 ('adapter 1') is -Infinity")]
    [InlineData(new[] { 0.5 }, "Got 1 weights for 2 models")]
    public void InvalidWeightsAreRejectedWithRule(double[] weights, string expected)
    {
        using var model = TinyModels.Create();
        using var first = TinyModels.PerturbedAdapter(model, 10);
        using var second = TinyModels.PerturbedAdapter(model, 11);
        using var aggregation = new ParameterAggregation(model, [first, second]);

        var mergeError = Assert.Throws<ArgumentException>(() => aggregation.Merge(weights));
        var generateError = Assert.Throws<ArgumentException>(() =>
            aggregation.Generate(TinyModels.Prompts(), weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(4)));

        Assert.Contains(expected, mergeError.Message, StringComparison.Ordinal);
        Assert.Contains(expected, generateError.Message, StringComparison.Ordinal);
        Assert.Equal("weights", mergeError.ParamName);
    }

    [Fact]
    public void MergingLeavesBaseAndAdaptersUnchanged()
    {
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 6);
        var baseBefore = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var adapterBefore = adapter.NamedFactors().ToDictionary(f => f.Name, f => f.Value.detach().clone());
        using var aggregation = new ParameterAggregation(model, [adapter]);

        aggregation.Generate(TinyModels.Prompts(), [0.8], TinyModels.EndOfText, GenerationOptions.CreateGreedy(4));
        aggregation.Generate(TinyModels.Prompts(), [0.2], TinyModels.EndOfText, GenerationOptions.CreateGreedy(4));

        foreach (var (name, value) in model.named_parameters())
        {
            Assert.True(value.eq(baseBefore[name]).all().item<bool>(), $"base parameter {name} changed");
        }

        foreach (var (name, value) in adapter.NamedFactors())
        {
            Assert.True(value.eq(adapterBefore[name]).all().item<bool>(), $"adapter factor {name} changed");
        }
    }

    [Fact]
    public void ReusedModelMatchesAFreshMerge()
    {
        using var model = TinyModels.Create();
        using var first = TinyModels.PerturbedAdapter(model, 7);
        using var second = TinyModels.PerturbedAdapter(model, 8);
        using var aggregation = new ParameterAggregation(model, [first, second]);
        using var fresh = new ParameterAggregation(model, [first, second]);
        var greedy = GenerationOptions.CreateGreedy(10);

        aggregation.Generate(TinyModels.Prompts(), [1.0, 0.1], TinyModels.EndOfText, greedy);
        var reused = aggregation.Generate(TinyModels.Prompts(), [0.25, 0.9], TinyModels.EndOfText, greedy);
        var direct = fresh.Generate(TinyModels.Prompts(), [0.25, 0.9], TinyModels.EndOfText, greedy);

        for (int row = 0; row < reused.Count; row++)
        {
            Assert.Equal(direct[row], reused[row]);
        }
    }

    [Fact]
    public void AdapterOfAnotherBaseIsRejected()
    {
        using var model = TinyModels.Create();
        var options = TinyModels.Options();
        options.HiddenSize = 16;
        using var other = new Gpt2Model(options, 3);
        using var fits = TinyModels.PerturbedAdapter(model, 12);
        using var foreign = TinyModels.PerturbedAdapter(other, 13);

        var error = Assert.Throws<ArgumentException>(() => new ParameterAggregation(model, [fits, foreign]));

        Assert.Contains("Adapter 1 does not fit the base model", error.Message, StringComparison.Ordinal);
        Assert.Contains("the adapter has in 16", error.Message, StringComparison.Ordinal);
        Assert.Contains("hidden size 32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongWeightCountIsRejected()
    {
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 9);
        using var aggregation = new ParameterAggregation(model, [adapter]);

        Assert.Throws<ArgumentException>(() => aggregation.Merge([0.5, 0.5]));
    }
}
