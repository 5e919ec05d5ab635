using System;
using Emorl.Models;
using static TorchSharp.torch;

namespace Emorl.Tests.Models;

[Collection("Torch")]
public sealed class KeyValueCacheTests
{
    [Fact]
    public void AppendsAcrossBufferGrowthEqualConcatenation()
    {
        using var scope = NewDisposeScope();
        using var cache = new KeyValueCache(2);
        manual_seed(4);
        var prompt = randn(3, 2, 20, 4);
        var expected = prompt.clone();
        cache.Append(1, prompt, prompt * 2);

        // 60 single-token steps push the buffer past two doublings of its first capacity (40).
        Tensor keys = prompt;
        Tensor values = prompt;
        for (int step = 0; step < 60; step++)
        {
            var next = randn(3, 2, 1, 4);
            expected = cat([expected, next], 2);
            (keys, values) = cache.Append(1, next, next * 2);
        }

        Assert.Equal([3L, 2L, 80L, 4L], keys.shape);
        Assert.True(keys.eq(expected).all().item<bool>());
        Assert.True(values.eq(expected * 2).all().item<bool>());
    }

    [Fact]
    public void AnotherBatchSizeNeedsClear()
    {
        using var scope = NewDisposeScope();
        using var cache = new KeyValueCache(1);
        cache.Append(0, zeros(2, 1, 3, 4), zeros(2, 1, 3, 4));

        var error = Assert.Throws<InvalidOperationException>(() => cache.Append(0, zeros(5, 1, 1, 4), zeros(5, 1, 1, 4)));

        Assert.Contains("call Clear", error.Message, StringComparison.Ordinal);
        cache.Clear();
        var (keys, _) = cache.Append(0, ones(5, 1, 1, 4), ones(5, 1, 1, 4));
        Assert.Equal([5L, 1L, 1L, 4L], keys.shape);
    }
}
