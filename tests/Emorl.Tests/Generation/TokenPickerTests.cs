using System;
using System.Linq;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Tests.Generation;

[Collection("Torch")]
public sealed class TokenPickerTests
{
    [Theory]
    [InlineData(float.NaN, false)]
    [InlineData(float.PositiveInfinity, false)]
    [InlineData(float.NaN, true)]
    public void NonFiniteLogitsAreRejected(float value, bool greedy)
    {
        using var logits = zeros(2, 5);
        logits[1, 3] = tensor(value);
        var options = new GenerationOptions { Greedy = greedy };

        var error = Assert.Throws<NotFiniteNumberException>(() => TokenPicker.Pick(logits, options, null));

        Assert.Contains("NaN or +Infinity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BlockedTokensStayAllowed()
    {
        using var logits = zeros(1, 4);
        logits[0, 0] = tensor(float.NegativeInfinity);
        using var generator = new Generator(1);

        using var picked = TokenPicker.Pick(logits, new GenerationOptions { TopK = 0 }, generator);

        Assert.NotEqual(0, picked[0].item<long>());
    }

    [Fact]
    public void ModelWithNaNWeightsFailsBeforeNativeSampling()
    {
        using var model = TinyModels.Create();
        using (no_grad())
        {
            model.parameters().First().fill_(float.NaN);
        }

        var objective = new LoraObjectiveModel("base", model, null);

        Assert.Throws<NotFiniteNumberException>(() =>
            objective.Generate(TinyModels.Prompts(), TinyModels.EndOfText, new GenerationOptions { MaxNewTokens = 3 }));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void VocabularyLimitBlocksHigherIds(bool greedy)
    {
        // The highest logits sit on ids 6 and 7, which the limit of 6 forbids.
        using var logits = tensor(new float[] { 0, 1, 2, 1, 0, 1, 9, 8 }).repeat(64, 1);       // [B, V]
        var options = new GenerationOptions { Greedy = greedy, TopK = 0, VocabularyLimit = 6 };

        using var picked = TokenPicker.Pick(logits, options, new TorchSharp.torch.Generator(3));
        long[] ids = picked.data<long>().ToArray();

        Assert.All(ids, id => Assert.True(id < 6, $"picked id {id} at or above the limit of 6"));
        if (greedy)
        {
            Assert.All(ids, id => Assert.Equal(2, id));
        }
    }

    [Fact]
    public void VocabularyLimitBelowOneIsRejected()
    {
        var options = new GenerationOptions { VocabularyLimit = 0 };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("VocabularyLimit is 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VocabularyLimitHidingEndOfTextIsRejected()
    {
        using var model = TinyModels.Create();
        var objective = new LoraObjectiveModel("base", model, null);
        var options = new GenerationOptions { Greedy = true, MaxNewTokens = 4, VocabularyLimit = TinyModels.EndOfText };

        var error = Assert.Throws<ArgumentException>(() => objective.Generate(TinyModels.Prompts(), TinyModels.EndOfText, options));

        Assert.Contains($"VocabularyLimit is {TinyModels.EndOfText}", error.Message, StringComparison.Ordinal);
        Assert.Contains("no row would stop early", error.Message, StringComparison.Ordinal);
    }
}
