using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Aggregation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Models.T5;
using Emorl.Objectives;
using Emorl.Tests.Models.T5;
using Emorl.Tokenization;
using Emorl.Training;
using static TorchSharp.torch;

namespace Emorl.Tests.Models;

/// <summary>
/// The operations that training, aggregation and search use, checked on both architectures: the
/// step-wise decoder, teacher forcing, RL training and merging adapters.
/// </summary>
[Collection("Torch")]
public sealed class AdaptableLanguageModelTests
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
    public void DecoderStatesEqualTeacherForcedStates(string architecture, bool useCache)
    {
        using var model = CreateModel(architecture);
        using var adapter = PerturbedAdapter(model, 3);
        var (promptTokens, promptMask) = PromptBatch.Create(Prompts(architecture), 0);
        using var continuation = tensor(new long[] { 4, 9, 2, 7, 5, 3, 8, 6, 1 }, [3, 3]);   // [B, T]

        using var expected = model.ContinuationHidden(promptTokens, promptMask, continuation, adapter);   // [B, T, H]
        using var decoder = model.StartDecoding(adapter, useCache);
        var steps = new List<Tensor> { decoder.Prefill(promptTokens, promptMask) };
        for (int t = 0; t < 2; t++)
        {
            steps.Add(decoder.Advance(continuation[.., t..(t + 1)]));
        }

        for (int t = 0; t < 3; t++)
        {
            using var teacherForced = expected[.., t];
            Assert.True(steps[t].allclose(teacherForced, rtol: 1e-4, atol: 1e-5), $"{architecture} step {t} differs from teacher forcing");
        }
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("t5")]
    public void LeftPaddingKeepsTeacherForcedStates(string architecture)
    {
        using var model = CreateModel(architecture);
        var prompts = Prompts(architecture);
        var (promptTokens, promptMask) = PromptBatch.Create(prompts, 0);
        using var continuation = tensor(new long[] { 4, 9, 2, 7, 5, 3 }, [3, 2]);

        using var batched = model.ContinuationHidden(promptTokens, promptMask, continuation, null);
        var (aloneTokens, aloneMask) = PromptBatch.Create([prompts[1]], 0);
        using var alone = model.ContinuationHidden(aloneTokens, aloneMask, continuation[1..2], null);

        Assert.True(batched[1..2].allclose(alone, rtol: 1e-4, atol: 1e-5), $"{architecture}: padding changed a row's states");
    }

    [Theory]
    [InlineData(PolicyAlgorithm.KScst)]
    [InlineData(PolicyAlgorithm.Rloo)]
    [InlineData(PolicyAlgorithm.Ppo)]
    public void T5PolicyStepsTrainOnlyTheAdapter(PolicyAlgorithm algorithm)
    {
        using var model = TinyT5.Create(TinyT5Options());
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 2, Alpha = 4 }, 5);
        var objective = new LoraObjectiveModel("vowels", model, adapter, ownsAdapter: false);
        var baseBefore = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var adapterBefore = adapter.NamedFactors().ToDictionary(p => p.Name, p => p.Value.detach().clone());
        var options = new PolicyTrainerOptions
        {
            Algorithm = algorithm,
            PromptsPerStep = 2,
            SamplesPerPrompt = algorithm == PolicyAlgorithm.Ppo ? 1 : 3,
            LearningRate = 1e-2,
            Seed = 3,
            Sampling = new GenerationOptions { MaxNewTokens = 6 },
        };
        using var trainer = new PolicyTrainer(objective, new VowelReward(), Template(), options);

        var metrics = trainer.Step(["I feel tired all the time", "my boss shouts at me"]);

        Assert.True(double.IsFinite(metrics.Loss), $"loss {metrics.Loss}");
        foreach (var (name, value) in model.named_parameters())
        {
            Assert.True(value.eq(baseBefore[name]).all().item<bool>(), $"base parameter {name} changed");
        }

        Assert.Contains(adapter.NamedFactors(), f => !f.Value.eq(adapterBefore[f.Name]).all().item<bool>());
    }

    [Fact]
    public void T5MergedAdapterEqualsAdaptedModel()
    {
        using var model = TinyT5.Create();
        using var adapter = TinyT5.PerturbedAdapter(model, 3);
        using var other = TinyT5.PerturbedAdapter(model, 4);
        using var aggregation = new ParameterAggregation(model, [adapter, other]);
        using var merged = aggregation.Merge([1.0, 0.0]);
        var (promptTokens, promptMask) = PromptBatch.Create(TinyT5.Prompts(), 0);
        using var continuation = tensor(new long[] { 4, 9, 2, 7, 5, 3 }, [3, 2]);

        using var adapted = model.ContinuationHidden(promptTokens, promptMask, continuation, adapter);
        using var fromMerged = merged.ContinuationHidden(promptTokens, promptMask, continuation, null);

        Assert.IsType<T5Model>(merged);
        Assert.True(fromMerged.allclose(adapted, rtol: 0, atol: 1e-4), "the merged T5 model differs from base + adapter");
    }

    [Fact]
    public void AggregatingGpt2AndT5ObjectivesIsRejected()
    {
        using var t5 = TinyT5.Create();
        using var gpt2 = TinyModels.Create();
        IObjectiveModel[] models = [new LoraObjectiveModel("empathy", t5, null), new LoraObjectiveModel("fluency", gpt2, null)];

        var error = Assert.Throws<ArgumentException>(() => new HiddenStateAggregator(models));

        Assert.Contains("'empathy': t5 with vocabulary 40", error.Message, StringComparison.Ordinal);
        Assert.Contains("'fluency': gpt2 with vocabulary 61", error.Message, StringComparison.Ordinal);
    }

    private static AdaptableLanguageModel CreateModel(string architecture) =>
        architecture == "t5" ? TinyT5.Create() : TinyModels.Create();

    private static LoraAdapter PerturbedAdapter(AdaptableLanguageModel model, long seed) =>
        model is T5Model t5 ? TinyT5.PerturbedAdapter(t5, seed) : TinyModels.PerturbedAdapter((Gpt2Model)model, seed);

    private static IReadOnlyList<IReadOnlyList<int>> Prompts(string architecture) =>
        architecture == "t5" ? TinyT5.Prompts() : TinyModels.Prompts().Take(3).ToArray();

    /// <summary>TinyT5's shape with the character tokenizer's vocabulary, which the PolicyTrainer test encodes with.</summary>
    private static T5Options TinyT5Options()
    {
        var options = TinyT5.Options();
        options.VocabularySize = TinyModels.Vocabulary;
        options.EndOfSequenceId = TinyModels.EndOfText;
        options.DecoderStartTokenId = TinyModels.EndOfText;
        return options;
    }

    private static PromptTemplate Template() =>
        new(new CharacterTokenizer(), maxPromptTokens: 48, prefix: "Client: ", suffix: "\nCounselor:");
}
