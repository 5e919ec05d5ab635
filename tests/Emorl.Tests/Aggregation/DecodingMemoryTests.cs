using System.Collections.Generic;
using System.Linq;
using Emorl.Aggregation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Tests.Aggregation;

[Collection("Torch")]
public sealed class DecodingMemoryTests
{
    [Fact]
    public void ThousandDecodingStepsKeepLiveTensorsFlat()
    {
        var options = TinyModels.Options();
        options.ContextLength = 1024 + 16;
        using var model = new Gpt2Model(options, 3);
        model.eval();
        using var a = TinyModels.PerturbedAdapter(model, 1);
        using var b = TinyModels.PerturbedAdapter(model, 2);
        IObjectiveModel[] models = [new LoraObjectiveModel("a", model, a, false), new LoraObjectiveModel("b", model, b, false)];
        using var source = new CountingSource(new HiddenStateAggregator.Source(new LockstepModels(models, true), [0.5, 0.5]));
        var generation = new GenerationOptions { MaxNewTokens = 1001, TopK = 0 };

        // The source blocks end-of-text, so it is never picked and every step runs.
        var responses = DecodingLoop.Run(source, [new[] { 1, 2, 3 }], TinyModels.EndOfText, generation, new Generator(5), null, default).Responses;

        Assert.Equal(1001, responses[0].Length);
        Assert.Equal(1001, source.LiveCounts.Count);
        var steady = source.LiveCounts.Skip(10).ToArray();
        Assert.True(steady.Max() - steady.Min() <= 2, $"live tensors ranged from {steady.Min()} to {steady.Max()} over 1,000 steps");
    }

    /// <summary>Records the thread's live tensor count at every step of a wrapped source, and blocks end-of-text.</summary>
    private sealed class CountingSource : INextTokenSource
    {
        private readonly INextTokenSource _inner;

        public CountingSource(INextTokenSource inner)
        {
            _inner = inner;
        }

        public List<long> LiveCounts { get; } = [];

        public Device Device => _inner.Device;

        public int VocabularySize => _inner.VocabularySize;

        public int ContextLength => _inner.ContextLength;

        public Tensor Begin(Tensor promptTokens, Tensor promptMask, bool useCache) =>
            BlockEndOfText(_inner.Begin(promptTokens, promptMask, useCache));

        public Tensor Next(Tensor nextTokens) => BlockEndOfText(_inner.Next(nextTokens));

        private Tensor BlockEndOfText(Tensor logits)
        {
            LiveCounts.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            using var endOfText = logits.select(1, TinyModels.EndOfText);                 // logits: [B, V]
            endOfText.fill_(float.NegativeInfinity);
            return logits;
        }

        public void Dispose() => _inner.Dispose();
    }
}
