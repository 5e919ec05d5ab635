using System;
using Emorl.Models;
using Emorl.Tests.Models.T5;
using static TorchSharp.torch;

namespace Emorl.Tests.Models;

/// <summary>
/// Malformed prompts, masks and tokens passed to the step-wise decoder and to teacher forcing, on
/// both architectures: each fails with an error that names the shape or id and the rule, never
/// with a native TorchSharp error.
/// </summary>
[Collection("Torch")]
public sealed class DecoderInputTests
{
    public static TheoryData<string, bool> Architectures => new()
    {
        { "gpt2", true },
        { "gpt2", false },
        { "t5", true },
        { "t5", false },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void PrefillRejectsMaskOfOtherShape(string architecture, bool useCache)
    {
        using var model = CreateModel(architecture);
        using var tokens = PromptTokens();
        using var narrow = ones([2, 2], ScalarType.Bool);
        using var taller = ones([3, 3], ScalarType.Bool);
        using var decoder = model.StartDecoding(null, useCache);

        var narrowError = Assert.Throws<ArgumentException>(() => decoder.Prefill(tokens, narrow));
        var tallerError = Assert.Throws<ArgumentException>(() => decoder.Prefill(tokens, taller));

        Assert.Contains("prompt mask [2, 2]", narrowError.Message, StringComparison.Ordinal);
        Assert.Contains("prompt mask [3, 3]", tallerError.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", tallerError.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void PrefillRejectsTokenOutsideVocabulary(string architecture, bool useCache)
    {
        using var model = CreateModel(architecture);
        using var tokens = tensor(new long[] { 3, 4, model.VocabularySize, 6, 7, 8 }, [2, 3]);
        using var mask = ones([2, 3], ScalarType.Bool);
        using var decoder = model.StartDecoding(null, useCache);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Prefill(tokens, mask));

        Assert.Contains($"token id {model.VocabularySize}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"vocabulary of {model.VocabularySize} ids", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void AdvanceRejectsTokensOfOtherShape(string architecture, bool useCache)
    {
        using var model = CreateModel(architecture);
        using var tokens = PromptTokens();
        using var mask = ones([2, 3], ScalarType.Bool);
        using var decoder = model.StartDecoding(null, useCache);
        using var first = decoder.Prefill(tokens, mask);
        using var flat = tensor(new long[] { 1, 2 });
        using var tooManyRows = tensor(new long[] { 1, 2, 3 }, [3, 1]);
        using var twoPerRow = tensor(new long[] { 1, 2, 3, 4 }, [2, 2]);

        var flatError = Assert.Throws<ArgumentException>(() => decoder.Advance(flat));
        var rowsError = Assert.Throws<ArgumentException>(() => decoder.Advance(tooManyRows));
        var widthError = Assert.Throws<ArgumentException>(() => decoder.Advance(twoPerRow));

        Assert.Contains("shape [2]", flatError.Message, StringComparison.Ordinal);
        Assert.Contains("shape [3, 1]", rowsError.Message, StringComparison.Ordinal);
        Assert.Contains("shape [2, 2]", widthError.Message, StringComparison.Ordinal);
        Assert.Contains("pass [2, 1]", widthError.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void AdvanceRejectsTokenOutsideVocabulary(string architecture, bool useCache)
    {
        using var model = CreateModel(architecture);
        using var tokens = PromptTokens();
        using var mask = ones([2, 3], ScalarType.Bool);
        using var decoder = model.StartDecoding(null, useCache);
        using var first = decoder.Prefill(tokens, mask);
        using var negative = tensor(new long[] { 1, -1 }, [2, 1]);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Advance(negative));

        Assert.Contains("token id -1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void RejectedAdvanceKeepsDecoderUsable(string architecture, bool useCache)
    {
        using var model = CreateModel(architecture);
        using var tokens = PromptTokens();
        using var mask = ones([2, 3], ScalarType.Bool);
        using var continuation = tensor(new long[] { 5, 9, 2, 7 }, [2, 2]);
        using var expected = model.ContinuationHidden(tokens, mask, continuation, null);   // [B, T, H]
        using var decoder = model.StartDecoding(null, useCache);
        using var first = decoder.Prefill(tokens, mask);
        using var wrong = tensor(new long[] { 1, 2, 3 }, [3, 1]);

        Assert.Throws<ArgumentException>(() => decoder.Advance(wrong));
        using var second = decoder.Advance(continuation[.., ..1]);

        using var teacherForced = expected[.., 1];
        Assert.True(second.allclose(teacherForced, rtol: 1e-4, atol: 1e-5), "a rejected step changed the decoder's state");
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("t5")]
    public void ContinuationRejectsInvalidTokens(string architecture)
    {
        using var model = CreateModel(architecture);
        using var tokens = PromptTokens();
        using var mask = ones([2, 3], ScalarType.Bool);
        using var outside = tensor(new long[] { 1, model.VocabularySize + 5 }, [2, 1]);
        using var floats = tensor(new float[] { 1, 2 }, [2, 1]);
        using var emptyPrompt = zeros([2, 0], int64);
        using var emptyMask = zeros([2, 0], ScalarType.Bool);
        using var continuation = tensor(new long[] { 1, 2 }, [2, 1]);

        var outsideError = Assert.Throws<ArgumentOutOfRangeException>(() => model.ContinuationHidden(tokens, mask, outside, null));
        var floatError = Assert.Throws<ArgumentException>(() => model.ContinuationHidden(tokens, mask, floats, null));
        var emptyError = Assert.Throws<ArgumentException>(() => model.ContinuationHidden(emptyPrompt, emptyMask, continuation, null));

        Assert.Contains($"token id {model.VocabularySize + 5}", outsideError.Message, StringComparison.Ordinal);
        Assert.Contains("Float32", floatError.Message, StringComparison.Ordinal);
        Assert.Contains("S ≥ 1", emptyError.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("t5")]
    public void EmptyContinuationHasNoStates(string architecture)
    {
        using var model = CreateModel(architecture);
        using var tokens = PromptTokens();
        using var mask = ones([2, 3], ScalarType.Bool);
        using var continuation = zeros([2, 0], int64);

        using var hidden = model.ContinuationHidden(tokens, mask, continuation, null);

        Assert.Equal(new long[] { 2, 0, model.HiddenSize }, hidden.shape);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void DisposedDecoderRaisesObjectDisposed(string architecture, bool useCache)
    {
        using var model = CreateModel(architecture);
        using var tokens = PromptTokens();
        using var mask = ones([2, 3], ScalarType.Bool);
        using var next = tensor(new long[] { 1, 2 }, [2, 1]);
        var decoder = model.StartDecoding(null, useCache);
        using (decoder.Prefill(tokens, mask))
        {
            decoder.Dispose();
        }

        Assert.Throws<ObjectDisposedException>(() => decoder.Advance(next));
        Assert.Throws<ObjectDisposedException>(() => decoder.Prefill(tokens, mask));
    }

    private static Tensor PromptTokens() => tensor(new long[] { 3, 4, 5, 6, 7, 8 }, [2, 3]);   // [B, S]

    private static AdaptableLanguageModel CreateModel(string architecture) =>
        architecture == "t5" ? TinyT5.Create() : TinyModels.Create();
}
