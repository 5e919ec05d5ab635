using System;
using System.Collections.Generic;
using Emorl.Aggregation;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Tests.Aggregation;

[Collection("Torch")]
public sealed class LogitsAggregatorTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GreedyTokensFollowTheProbabilityMixture(bool batchAdapters)
    {
        using var model = TinyModels.Create();
        using var a = TinyModels.PerturbedAdapter(model, 6);
        using var b = TinyModels.PerturbedAdapter(model, 7);
        IObjectiveModel[] models = [new LoraObjectiveModel("a", model, a, false), new LoraObjectiveModel("b", model, b, false)];
        double[] weights = [0.25, 0.75];
        var aggregator = new LogitsAggregator(models, batchAdapters);

        var generated = aggregator.Generate(TinyModels.Prompts(), weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(12));

        for (int row = 0; row < TinyModels.Prompts().Count; row++)
        {
            Assert.Equal(GreedyByMixture(models, weights, TinyModels.Prompts()[row], 12), generated[row]);
        }
    }

    [Fact]
    public void AllZeroWeightsAreRejected()
    {
        using var model = TinyModels.Create();
        var aggregator = new LogitsAggregator([new LoraObjectiveModel("a", model, null), new LoraObjectiveModel("b", model, null)]);

        var error = Assert.Throws<ArgumentException>(() =>
            aggregator.Generate(TinyModels.Prompts(), [0.0, 0.0], TinyModels.EndOfText, GenerationOptions.CreateGreedy(4)));

        Assert.Contains("All 2 weights are 0", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Naive reference: re-read the whole prefix with every model and take argmax of Σ w_k softmax(z_k).</summary>
    private static int[] GreedyByMixture(IObjectiveModel[] models, double[] weights, IReadOnlyList<int> prompt, int maxNewTokens)
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
            Tensor? mixture = null;
            for (int k = 0; k < models.Length; k++)
            {
                var model = (LoraObjectiveModel)models[k];
                var hidden = ((Gpt2Model)model.SharedBase).ForwardHidden(tokens, positions, mask, null, model.Adapter)[0, -1];
                var probabilities = models[k].SharedBase.LanguageModelHead(hidden).softmax(-1) * weights[k];
                mixture = mixture is null ? probabilities : mixture + probabilities;
            }

            int next = (int)mixture!.argmax().item<long>();
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
