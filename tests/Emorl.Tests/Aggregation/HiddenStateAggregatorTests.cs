using System;
using System.Collections.Generic;
using Emorl.Aggregation;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Tests.Aggregation;

[Collection("Torch")]
public sealed class HiddenStateAggregatorTests
{
    [Theory]
    [InlineData(new[] { 0.78125, 0.5, 0.0625 })]
    [InlineData(new[] { 1.0, 1.0, 1.0 })]
    [InlineData(new[] { 0.0, 2.5, 0.25 })]
    public void GreedyTokensEqualWeightedLogitSum(double[] weights)
    {
        using var model = TinyModels.Create();
        using var a = TinyModels.PerturbedAdapter(model, 1);
        using var b = TinyModels.PerturbedAdapter(model, 2);
        using var c = TinyModels.PerturbedAdapter(model, 3);
        IObjectiveModel[] models =
        [
            new LoraObjectiveModel("a", model, a, false),
            new LoraObjectiveModel("b", model, b, false),
            new LoraObjectiveModel("c", model, c, false),
        ];
        var aggregator = new HiddenStateAggregator(models);

        var aggregated = aggregator.Generate(TinyModels.Prompts(), weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(16));

        for (int row = 0; row < TinyModels.Prompts().Count; row++)
        {
            var expected = GreedyByLogitSum(models, weights, TinyModels.Prompts()[row], 16);
            Assert.Equal(expected, aggregated[row]);
        }
    }

    [Fact]
    public void StackedAdaptersGiveTheSameTokensAsSeparatePasses()
    {
        using var model = TinyModels.Create();
        using var a = TinyModels.PerturbedAdapter(model, 4);
        using var b = TinyModels.PerturbedAdapter(model, 5);
        IObjectiveModel[] models =
        [
            new LoraObjectiveModel("a", model, a, false),
            new LoraObjectiveModel("base", model, null),
            new LoraObjectiveModel("b", model, b, false),
        ];
        var stacked = new HiddenStateAggregator(models, batchAdapters: true);
        var separate = new HiddenStateAggregator(models, batchAdapters: false);
        double[] weights = [0.6, 0.3, 0.9];

        var fromStack = stacked.Generate(TinyModels.Prompts(), weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(20));
        var fromPasses = separate.Generate(TinyModels.Prompts(), weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(20));

        Assert.True(stacked.BatchesAdapters);
        Assert.False(separate.BatchesAdapters);
        for (int row = 0; row < fromStack.Count; row++)
        {
            Assert.Equal(fromPasses[row], fromStack[row]);
        }
    }

    [Fact]
    public void ModelsWithDifferentBasesAreRejected()
    {
        using var first = TinyModels.Create(1);
        using var second = TinyModels.Create(2);
        IObjectiveModel[] models = [new LoraObjectiveModel("empathy", first, null), new LoraObjectiveModel("fluency", second, null)];

        var error = Assert.Throws<ArgumentException>(() => new HiddenStateAggregator(models));

        Assert.Contains("'empathy'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'fluency'", error.Message, StringComparison.Ordinal);
        Assert.Contains("load the base model once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BasesWithDifferentShapesAreNamedInError()
    {
        using var first = TinyModels.Create(1);
        var options = TinyModels.Options();
        options.HiddenSize = 16;
        options.VocabularySize = 50;
        using var second = new Gpt2Model(options, 2);
        IObjectiveModel[] models = [new LoraObjectiveModel("empathy", first, null), new LoraObjectiveModel("fluency", second, null)];

        var error = Assert.Throws<ArgumentException>(() => new HiddenStateAggregator(models));

        Assert.Contains("'empathy': gpt2 with vocabulary 61, hidden size 32", error.Message, StringComparison.Ordinal);
        Assert.Contains("'fluency': gpt2 with vocabulary 50, hidden size 16", error.Message, StringComparison.Ordinal);
        Assert.Contains("trained on different base models", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 1.0 }, "Got 1 weights for 2 models (a, b)")]
    [InlineData(new[] { 1.0, -0.5 }, "Weight 1 ('b') is -0.5, but every weight must be ≥ 0")]
    [InlineData(new[] { 1.0, double.NaN }, "Weight 1 ('b') is NaN, but every weight must be a finite number")]
    [InlineData(new[] { double.PositiveInfinity, 1.0 }, "Weight 0 ('a') is Infinity, but every weight must be a finite number")]
    [InlineData(new[] { 0.0, 0.0 }, "All 2 weights are 0")]
    [InlineData(new[] { 1e300, 1.0 }, "Weight 0 ('a') is 1E+300, above float32's maximum")]
    [InlineData(new[] { 1e-50, 0.0 }, "All 2 weights are 0 in float32: every positive weight is below float32's smallest value")]
    public void InvalidWeightsAreRejected(double[] weights, string expected)
    {
        using var model = TinyModels.Create();
        var aggregator = new HiddenStateAggregator([new LoraObjectiveModel("a", model, null), new LoraObjectiveModel("b", model, null)]);

        var error = Assert.Throws<ArgumentException>(() =>
            aggregator.Generate(TinyModels.Prompts(), weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(4)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal("weights", error.ParamName);
    }

    [Fact]
    public void TinyWeightBesideAPositiveOneIsAccepted()
    {
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 6);
        var aggregator = new HiddenStateAggregator(
            [new LoraObjectiveModel("a", model, null), new LoraObjectiveModel("b", model, adapter, false)]);

        var withTiny = aggregator.Generate(TinyModels.Prompts(), [1e-50, 1.0], TinyModels.EndOfText, GenerationOptions.CreateGreedy(6));
        var withZero = aggregator.Generate(TinyModels.Prompts(), [0.0, 1.0], TinyModels.EndOfText, GenerationOptions.CreateGreedy(6));

        Assert.Equal(withZero, withTiny);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(TinyModels.Vocabulary)]
    public void EndOfTextOutsideVocabularyIsRejected(int endOfTextId)
    {
        using var model = TinyModels.Create();
        var aggregator = new HiddenStateAggregator([new LoraObjectiveModel("a", model, null)]);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            aggregator.Generate(TinyModels.Prompts(), [1.0], endOfTextId, GenerationOptions.CreateGreedy(4)));

        Assert.Equal("endOfTextId", error.ParamName);
        Assert.Contains($"end-of-text id {endOfTextId} is outside the model's vocabulary [0, {TinyModels.Vocabulary})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoEndOfTextRunsEveryRowToTheBudget()
    {
        using var model = TinyModels.Create();
        var aggregator = new HiddenStateAggregator([new LoraObjectiveModel("a", model, null)]);

        // The prompts differ in length, so the shorter ones are padded.
        var responses = aggregator.Generate(TinyModels.Prompts(), [1.0], -1, GenerationOptions.CreateGreedy(5));

        Assert.All(responses, response => Assert.Equal(5, response.Length));
    }

    [Fact]
    public void OverflowingWeightsAreNamedInTheError()
    {
        using var model = TinyModels.Create();
        var aggregator = new HiddenStateAggregator([new LoraObjectiveModel("a", model, null), new LoraObjectiveModel("b", model, null)]);

        var error = Assert.Throws<NotFiniteNumberException>(() =>
            aggregator.Generate(TinyModels.Prompts(), [3e38, 3e38], TinyModels.EndOfText, GenerationOptions.CreateGreedy(4)));

        Assert.Contains("Decoding with weights [3E+38, 3E+38] produced NaN or +Infinity logits", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DisposedAdapterIsNotUsedAsTheBareBase(bool batchAdapters)
    {
        using var model = TinyModels.Create();
        var adapter = TinyModels.PerturbedAdapter(model, 7);
        var objective = new LoraObjectiveModel("a", model, adapter);
        var aggregator = new HiddenStateAggregator([objective, new LoraObjectiveModel("b", model, null)], batchAdapters);
        objective.Dispose();

        Assert.Throws<ObjectDisposedException>(() =>
            aggregator.Generate(TinyModels.Prompts(), [1.0, 1.0], TinyModels.EndOfText, GenerationOptions.CreateGreedy(4)));
    }

    /// <summary>Naive reference: re-read the whole prefix with every model, sum weighted logits, take argmax.</summary>
    private static int[] GreedyByLogitSum(IObjectiveModel[] models, double[] weights, IReadOnlyList<int> prompt, int maxNewTokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sequence = new List<int>(prompt);
        var output = new List<int>();
        for (int step = 0; step < maxNewTokens; step++)
        {
            var tokens = tensor(sequence.ConvertAll(t => (long)t).ToArray(), [1, sequence.Count]);
            var positions = arange((long)sequence.Count).unsqueeze(0);
            var mask = ones([1, sequence.Count], ScalarType.Bool);
            Tensor? sum = null;
            for (int k = 0; k < models.Length; k++)
            {
                var model = (LoraObjectiveModel)models[k];
                var hidden = ((Gpt2Model)model.SharedBase).ForwardHidden(tokens, positions, mask, null, model.Adapter)[0, -1];
                var logits = models[k].SharedBase.LanguageModelHead(hidden) * weights[k];
                sum = sum is null ? logits : sum + logits;
            }

            int next = (int)sum!.argmax().item<long>();
            if (next == TinyModels.EndOfText)
            {
                break;
            }

            output.Add(next);
            sequence.Add(next);
        }

        return output.ToArray();
    }
}
