using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Emorl.Aggregation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Models.T5;
using Emorl.Objectives;
using Emorl.Tests.Models.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Tests.Aggregation;

[Collection("Torch")]
public sealed class T5AggregationTests
{
    private const int EndOfSequence = 1;

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void UnitFirstWeightMatchesSingleModel(bool useCache, bool batchAdapters)
    {
        using var model = TinyT5.Create();
        using var a = TinyT5.PerturbedAdapter(model, 1);
        using var b = TinyT5.PerturbedAdapter(model, 2);
        using var c = TinyT5.PerturbedAdapter(model, 3);
        var aggregator = Aggregate(model, [a, b, c], batchAdapters: batchAdapters);
        var options = new GenerationOptions { Greedy = true, MaxNewTokens = 16, UseCache = useCache };

        var aggregated = aggregator.Generate(TinyT5.Prompts(), [1.0, 0.0, 0.0], EndOfSequence, options);
        var alone = T5Generation.GenerateGreedy(model, TinyT5.Prompts(), 16, useCache, a);

        Assert.Equal(alone.Count, aggregated.Count);
        for (int row = 0; row < alone.Count; row++)
        {
            Assert.Equal(alone[row], aggregated[row]);
        }

        Assert.True(alone.Sum(r => r.Length) > 10, "the tiny model should emit tokens before </s>");
    }

    [Theory]
    [InlineData(new[] { 0.78125, 0.5, 0.0625 }, true)]
    [InlineData(new[] { 1.0, 1.0, 1.0 }, true)]
    [InlineData(new[] { 0.0, 2.5, 0.25 }, true)]
    [InlineData(new[] { 0.78125, 0.5, 0.0625 }, false)]
    public void GreedyMatchesHandComputedSum(double[] weights, bool batchAdapters)
    {
        using var model = TinyT5.Create();
        using var a = TinyT5.PerturbedAdapter(model, 1);
        using var b = TinyT5.PerturbedAdapter(model, 2);
        using var c = TinyT5.PerturbedAdapter(model, 3);
        LoraAdapter[] adapters = [a, b, c];
        var aggregator = Aggregate(model, adapters, batchAdapters: batchAdapters);

        var aggregated = aggregator.Generate(TinyT5.Prompts(), weights, EndOfSequence, GenerationOptions.CreateGreedy(16));

        for (int row = 0; row < TinyT5.Prompts().Count; row++)
        {
            var expected = GreedyByHand(model, adapters, weights, TinyT5.Prompts()[row], 16);
            Assert.Equal(expected, aggregated[row]);
        }
    }

    [Fact]
    public void CachedMatchesUncached()
    {
        using var model = TinyT5.Create(TinyT5.Options(T5FeedForwardKind.GatedGelu, tied: false));
        using var a = TinyT5.PerturbedAdapter(model, 4);
        using var b = TinyT5.PerturbedAdapter(model, 5);
        var aggregator = Aggregate(model, [a, null, b]);
        double[] weights = [0.6, 0.3, 0.9];

        var cached = aggregator.Generate(
            TinyT5.Prompts(), weights, EndOfSequence, new GenerationOptions { Greedy = true, MaxNewTokens = 20, UseCache = true });
        var uncached = aggregator.Generate(
            TinyT5.Prompts(), weights, EndOfSequence, new GenerationOptions { Greedy = true, MaxNewTokens = 20, UseCache = false });

        for (int row = 0; row < cached.Count; row++)
        {
            Assert.Equal(uncached[row], cached[row]);
        }

        Assert.True(cached.Sum(r => r.Length) > 10, "the tiny model should emit tokens before </s>");
    }

    [Fact]
    public void SeededSamplingIsRepeatable()
    {
        using var model = TinyT5.Create();
        using var a = TinyT5.PerturbedAdapter(model, 6);
        using var b = TinyT5.PerturbedAdapter(model, 7);
        var aggregator = Aggregate(model, [a, b]);
        var options = new GenerationOptions { MaxNewTokens = 12, TopK = 0 };

        var first = aggregator.Generate(TinyT5.Prompts(), [0.5, 0.5], EndOfSequence, options, seed: 11);
        var second = aggregator.Generate(TinyT5.Prompts(), [0.5, 0.5], EndOfSequence, options, seed: 11);

        for (int row = 0; row < first.Count; row++)
        {
            Assert.Equal(first[row], second[row]);
            Assert.DoesNotContain(model.Options.EndOfSequenceId, first[row]);
        }
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.5 }, "Got 2 weights for 3 models")]
    [InlineData(new[] { 0.5, -0.25, 1.0 }, "Weight 1 ('fluency') is -0.25")]
    [InlineData(new[] { 0.5, double.NaN, 1.0 }, "Weight 1 ('fluency') is NaN")]
    [InlineData(new[] { double.PositiveInfinity, 0.5, 1.0 }, "Weight 0 ('empathy') is Infinity")]
    [InlineData(new[] { 0.0, 0.0, 0.0 }, "All 3 weights are 0")]
    public void InvalidWeightsAreRejected(double[] weights, string expected)
    {
        using var model = TinyT5.Create();
        using var a = TinyT5.PerturbedAdapter(model, 1);
        using var b = TinyT5.PerturbedAdapter(model, 2);
        var aggregator = Aggregate(model, [a, b, null], ["empathy", "fluency", "base"]);

        var error = Assert.Throws<ArgumentException>(
            () => aggregator.Generate(TinyT5.Prompts(), weights, EndOfSequence, GenerationOptions.CreateGreedy(4)));

        Assert.Equal("weights", error.ParamName);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdapterOfAnotherShapeIsRejected()
    {
        using var model = TinyT5.Create();
        var otherOptions = TinyT5.Options();
        otherOptions.FeedForwardSize = 32;
        using var other = TinyT5.Create(otherOptions);
        using var own = TinyT5.PerturbedAdapter(model, 1);
        using var foreign = TinyT5.PerturbedAdapter(other, 2);

        var error = Assert.Throws<ArgumentException>(
            () => Aggregate(model, [own, foreign], ["empathy", "fluency"]));

        Assert.Equal("adapter", error.ParamName);
        Assert.Contains("'fluency'", error.Message, StringComparison.Ordinal);
        Assert.Contains("in 16, out 32", error.Message, StringComparison.Ordinal);
        Assert.Contains("in 16, out 24", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdapterOfGpt2ModelIsRejected()
    {
        using var model = TinyT5.Create();
        using var gpt2 = TinyModels.Create();
        using var foreign = TinyModels.PerturbedAdapter(gpt2, 1);

        var error = Assert.Throws<ArgumentException>(() => Aggregate(model, [foreign]));

        Assert.Contains("'adapter 0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no such projection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CancellationDuringDecodingReturnsPartialTokens()
    {
        using var model = TinyT5.Create();
        using var a = TinyT5.PerturbedAdapter(model, 1);
        using var b = TinyT5.PerturbedAdapter(model, 2);
        var aggregator = Aggregate(model, [a, b]);
        using var cancellation = new CancellationTokenSource();
        var progress = new CancelAfterSteps(cancellation, 3);

        var result = aggregator.Generate(
            TinyT5.Prompts(), [0.5, 0.5], EndOfSequence, GenerationOptions.CreateGreedy(16), progress, null, cancellation.Token);
        var complete = aggregator.Generate(TinyT5.Prompts(), [0.5, 0.5], EndOfSequence, GenerationOptions.CreateGreedy(16));

        Assert.True(result.IsPartial);
        Assert.Equal(3, result.Steps);
        for (int row = 0; row < complete.Count; row++)
        {
            int length = result.Responses[row].Length;
            Assert.True(length <= 3, $"row {row} has {length} tokens after 3 steps");
            Assert.Equal(complete[row].Take(length), result.Responses[row]);
        }

        var greedy = GenerationOptions.CreateGreedy(16);
        Assert.Throws<OperationCanceledException>(
            () => aggregator.Generate(TinyT5.Prompts(), [0.5, 0.5], EndOfSequence, greedy, null, cancellation.Token));
    }

    [Theory]
    [InlineData(true, 600)]
    [InlineData(false, 120)]
    public void LiveTensorsStayFlat(bool useCache, int steps)
    {
        using var model = TinyT5.Create();
        using var a = TinyT5.PerturbedAdapter(model, 1);
        using var b = TinyT5.PerturbedAdapter(model, 2);
        var aggregator = Aggregate(model, [a, b]);
        var options = new GenerationOptions { MaxNewTokens = steps, TopK = 0, UseCache = useCache };
        var counts = new LiveCountProgress();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // No id is ever picked as </s> (-1 is outside the vocabulary), so every step runs.
        var result = aggregator.Generate(TinyT5.Prompts(), [0.5, 0.5], -1, options, counts, seed: 5);

        Assert.Equal(steps, result.Responses[0].Length);
        Assert.Equal(steps, counts.LiveCounts.Count);
        var steady = counts.LiveCounts.Skip(10).ToArray();
        string range = $"live tensors ranged from {steady.Min()} to {steady.Max()} over {steps} steps";
        Assert.True(steady.Max() - steady.Min() <= 2, range);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    /// <summary>Aggregates adapters of one T5 model, each as an objective model named after its index or the given name.</summary>
    private static HiddenStateAggregator Aggregate(
        T5Model model, IReadOnlyList<LoraAdapter?> adapters, IReadOnlyList<string>? names = null, bool batchAdapters = true) =>
        new(adapters.Select((adapter, k) => (IObjectiveModel)new LoraObjectiveModel(names?[k] ?? $"adapter {k}", model, adapter, ownsAdapter: false)).ToArray(),
            batchAdapters: batchAdapters);

    /// <summary>
    /// Decodes one prompt greedily without caches: each step reruns every model's decoder over the
    /// whole prefix, sums the last hidden states with the weights in a loop and applies the head.
    /// </summary>
    private static int[] GreedyByHand(
        T5Model model, LoraAdapter[] adapters, double[] weights, IReadOnlyList<int> prompt, int maxNewTokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var promptTokens = tensor(prompt.Select(t => (long)t).ToArray(), [1, prompt.Count]);
        var promptMask = ones([1, prompt.Count], ScalarType.Bool);
        var encoded = adapters.Select(adapter => model.Encode(promptTokens, promptMask, adapter)).ToArray();
        var decoded = new List<long> { model.Options.DecoderStartTokenId };
        var response = new List<int>();
        for (int step = 0; step < maxNewTokens; step++)
        {
            var prefix = tensor(decoded.ToArray(), [1, decoded.Count]);
            var sum = zeros(model.Options.ModelSize);
            for (int k = 0; k < adapters.Length; k++)
            {
                var hidden = model.DecodeHidden(prefix, encoded[k], promptMask, null, adapters[k]);   // [1, T, H]
                sum = sum + hidden[0, -1] * weights[k];
            }

            int next = (int)model.LanguageModelHead(sum).argmax().item<long>();
            if (next == model.Options.EndOfSequenceId)
            {
                break;
            }

            response.Add(next);
            decoded.Add(next);
        }

        return response.ToArray();
    }

    /// <summary>Cancels a token once the given number of steps has been reported.</summary>
    private sealed class CancelAfterSteps(CancellationTokenSource cancellation, int steps)
        : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
            if (value.Step == steps)
            {
                cancellation.Cancel();
            }
        }
    }

    /// <summary>Records the thread's live tensor count at every reported step, synchronously.</summary>
    private sealed class LiveCountProgress : IProgress<GenerationProgress>
    {
        public List<long> LiveCounts { get; } = [];

        public void Report(GenerationProgress value) =>
            LiveCounts.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
