using System;
using System.Linq;
using Emorl.Models;
using Emorl.Models.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Tests.Models.T5;

[Collection("Torch")]
public sealed class T5ModelTests
{
    [Theory]
    [InlineData(T5FeedForwardKind.Relu, true)]
    [InlineData(T5FeedForwardKind.GatedGelu, false)]
    public void GreedyTokensMatchWithAndWithoutCache(T5FeedForwardKind feedForward, bool tied)
    {
        using var model = TinyT5.Create(TinyT5.Options(feedForward, tied));
        using var adapter = TinyT5.PerturbedAdapter(model, 3);

        var withCache = T5Generation.GenerateGreedy(model, TinyT5.Prompts(), 16, useCache: true, adapter);
        var withoutCache = T5Generation.GenerateGreedy(model, TinyT5.Prompts(), 16, useCache: false, adapter);

        Assert.Equal(3, withCache.Count);
        for (int row = 0; row < withCache.Count; row++)
        {
            Assert.Equal(withoutCache[row], withCache[row]);
        }

        Assert.True(withCache.Sum(r => r.Length) > 10, "the tiny model should emit tokens before end-of-sequence");
    }

    [Fact]
    public void CachedHiddenStatesThroughHeadMatchForwardLogits()
    {
        using var model = TinyT5.Create();
        using var adapter = TinyT5.PerturbedAdapter(model, 4);
        var (prompt, mask) = TinyT5.PadRight(TinyT5.Prompts());
        using var promptTokens = prompt;
        using var promptMask = mask;
        using var decoderTokens = tensor(new long[] { 0, 5, 6, 7, 0, 9, 9, 2, 0, 30, 1, 4 }, [3, 4]);

        using var full = model.Forward(promptTokens, promptMask, decoderTokens, adapter);              // [B, T, V]
        using var encoded = model.Encode(promptTokens, promptMask, adapter);
        using var cache = model.CreateCache();
        for (int step = 0; step < 4; step++)
        {
            using var token = decoderTokens[.., step..(step + 1)];
            using var hidden = model.DecodeHidden(token, encoded, promptMask, cache, adapter);          // [B, 1, H]
            using var logits = model.LanguageModelHead(hidden);
            using var expected = full[.., step..(step + 1)];
            Assert.True(logits.allclose(expected, rtol: 1e-4, atol: 1e-5), $"step {step} differs from the full forward");
        }

        Assert.Equal(4, cache.Length);
        Assert.True(cache.HasCrossAttention);
    }

    [Fact]
    public void TiedHeadScalesHiddenStateBeforeSharedEmbedding()
    {
        using var model = TinyT5.Create();
        using var hidden = randn(2, 3, 16);

        using var logits = model.LanguageModelHead(hidden);
        using var expected = matmul(hidden.mul(1 / Math.Sqrt(16)), model.SharedEmbedding.t());

        Assert.Null(model.LanguageModelHeadWeight);
        Assert.True(logits.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void UntiedHeadUsesItsOwnWeightWithoutScaling()
    {
        using var model = TinyT5.Create(TinyT5.Options(tied: false));
        using var hidden = randn(2, 3, 16);

        using var logits = model.LanguageModelHead(hidden);
        using var expected = matmul(hidden, model.LanguageModelHeadWeight!.t());

        Assert.True(logits.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void NewAdapterLeavesOutputsUnchanged()
    {
        using var model = TinyT5.Create(TinyT5.Options(T5FeedForwardKind.GatedGelu));
        using var adapter = LoraAdapter.Create(model, new LoraOptions(), 11);
        var (prompt, mask) = TinyT5.PadRight(TinyT5.Prompts());
        using var promptTokens = prompt;
        using var promptMask = mask;
        using var decoderTokens = tensor(new long[] { 0, 5, 0, 9, 0, 30 }, [3, 2]);

        using var plain = model.Forward(promptTokens, promptMask, decoderTokens, null);
        using var adapted = model.Forward(promptTokens, promptMask, decoderTokens, adapter);

        Assert.True(plain.allclose(adapted, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void TrainedAdapterChangesOutputs()
    {
        using var model = TinyT5.Create();
        using var adapter = TinyT5.PerturbedAdapter(model, 8);
        var (prompt, mask) = TinyT5.PadRight(TinyT5.Prompts());
        using var promptTokens = prompt;
        using var promptMask = mask;
        using var decoderTokens = tensor(new long[] { 0, 5, 0, 9, 0, 30 }, [3, 2]);

        using var plain = model.Forward(promptTokens, promptMask, decoderTokens, null);
        using var adapted = model.Forward(promptTokens, promptMask, decoderTokens, adapter);
        using var difference = adapted.sub(plain).abs().max();

        Assert.True(difference.item<float>() > 1e-3, $"max logit change {difference.item<float>()}");
    }

    [Theory]
    [InlineData(T5FeedForwardKind.Relu, 4 + 2, 8 + 2)]
    [InlineData(T5FeedForwardKind.GatedGelu, 4 + 3, 8 + 3)]
    public void AdapterCoversEveryProjection(T5FeedForwardKind feedForward, int perEncoderLayer, int perDecoderLayer)
    {
        using var model = TinyT5.Create(TinyT5.Options(feedForward));
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 2 }, 1);

        Assert.Equal(2 * perEncoderLayer + 3 * perDecoderLayer, adapter.Targets.Count);
        Assert.Contains("encoder.block.1.layer.0.SelfAttention.v", adapter.Targets);
        Assert.Contains("decoder.block.2.layer.1.EncDecAttention.o", adapter.Targets);
        Assert.Contains(
            feedForward == T5FeedForwardKind.Relu ? "decoder.block.0.layer.2.DenseReluDense.wi" : "decoder.block.0.layer.2.DenseReluDense.wi_1",
            adapter.Targets);
        Assert.Contains("encoder.block.0.layer.1.DenseReluDense.wo", adapter.Targets);
        Assert.True(adapter.TryGetFactors("encoder.block.0.layer.0.SelfAttention.q", out var a, out var b));
        Assert.Equal(new long[] { 2, 16 }, a.shape);
        Assert.Equal(new long[] { 12, 2 }, b.shape);
    }

    [Fact]
    public void ParameterNamesAreHuggingFaceKeys()
    {
        var options = TinyT5.Options(T5FeedForwardKind.GatedGelu, tied: false);
        using var model = TinyT5.Create(options);

        var names = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var expected = TinyT5.HuggingFaceKeys(options);

        Assert.Equal(expected.Select(k => k.Key).Order(StringComparer.Ordinal), names.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, shape) in expected)
        {
            Assert.Equal(shape, names[key]);
        }
    }

    [Fact]
    public void PromptPaddingDoesNotChangeARowsTokens()
    {
        using var model = TinyT5.Create();
        var prompts = TinyT5.Prompts();

        var batched = T5Generation.GenerateGreedy(model, prompts, 10, useCache: true);
        var alone = T5Generation.GenerateGreedy(model, [prompts[1]], 10, useCache: true);

        Assert.Equal(alone[0], batched[1]);
    }

    [Fact]
    public void CacheRejectsAnotherBatchSize()
    {
        using var model = TinyT5.Create();
        var (prompt, mask) = TinyT5.PadRight(TinyT5.Prompts());
        using var promptTokens = prompt;
        using var promptMask = mask;
        using var encoded = model.Encode(promptTokens, promptMask, null);
        using var cache = model.CreateCache();
        using var start = zeros([3, 1], ScalarType.Int64);
        using var first = model.DecodeHidden(start, encoded, promptMask, cache, null);
        using var oneRow = zeros([1, 1], ScalarType.Int64);
        using var oneEncoded = encoded[..1];
        using var oneMask = promptMask[..1];

        var error = Assert.Throws<ArgumentException>(() => model.DecodeHidden(oneRow, oneEncoded, oneMask, cache, null));

        Assert.Contains("clear the cache", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptionsAreListedTogether()
    {
        var options = TinyT5.Options();
        options.RelativeAttentionBucketCount = 7;
        options.EndOfSequenceId = 99;

        var error = Assert.Throws<ArgumentException>(() => new T5Model(options, 1));

        Assert.Contains("RelativeAttentionBucketCount is 7", error.Message, StringComparison.Ordinal);
        Assert.Contains("EndOfSequenceId is 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GreedyDecodingKeepsLiveTensorCountFlat()
    {
        using var model = TinyT5.Create();
        using var adapter = TinyT5.PerturbedAdapter(model, 2);
        T5Generation.GenerateGreedy(model, TinyT5.Prompts(), 6, useCache: true, adapter);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (int i = 0; i < 3; i++)
        {
            T5Generation.GenerateGreedy(model, TinyT5.Prompts(), 6, useCache: true, adapter);
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
