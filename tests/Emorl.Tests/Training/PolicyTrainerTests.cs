using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Checkpoints;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Tensors;
using Emorl.Tokenization;
using Emorl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Tests.Training;

[Collection("Torch")]
public sealed class PolicyTrainerTests
{
    private static readonly string[] s_statements =
    [
        "I feel tired all the time",
        "my boss shouts at me",
        "I cannot sleep at night",
        "I drink too much on weekends",
    ];

    [Fact]
    public void PpoRaisesCharacterCountOnTinyModel()
    {
        using var model = ExpressiveModel();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 16 }, 5);
        var policy = new LoraObjectiveModel("count_e", model, adapter, ownsAdapter: false);
        var options = PpoOptions(seed: 3);
        options.MaxSteps = 90;
        options.ValidationInterval = 90;
        using var trainer = new PolicyTrainer(policy, new CharacterCountReward('e', 10), Template(), options);
        double before = trainer.Validate(s_statements);

        var result = trainer.Train(s_statements, s_statements);

        Assert.Equal(90, result.Steps);
        Assert.True(before < 0.1, $"the untrained model already scores {before:F3}");
        Assert.True(result.ValidationScores[^1] > 0.5, $"validation score went from {before:F3} to {result.ValidationScores[^1]:F3}");
        Assert.All(result.StepMetrics, m => Assert.Equal(options.PpoEpochs, m.OptimizerSteps));
    }

    [Theory]
    [InlineData(PolicyAlgorithm.KScst)]
    [InlineData(PolicyAlgorithm.Rloo)]
    [InlineData(PolicyAlgorithm.Ppo)]
    public void ResumedRunMatchesUninterruptedRun(PolicyAlgorithm algorithm)
    {
        string checkpoint = Path.Combine(Path.GetTempPath(), $"emorl-resume-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (uninterrupted, uninterruptedBeta, uninterruptedFactors) = RunResumeCase(algorithm, maxSteps: 4, load: null, save: null);
            RunResumeCase(algorithm, maxSteps: 2, load: null, save: checkpoint);
            var (resumed, resumedBeta, resumedFactors) = RunResumeCase(algorithm, maxSteps: 4, load: checkpoint, save: null);

            Assert.Equal(4, uninterrupted.Steps);
            Assert.Equal(4, resumed.Steps);
            Assert.Equal(2, resumed.StepMetrics.Count);
            for (int i = 0; i < 2; i++)
            {
                var expected = uninterrupted.StepMetrics[i + 2];
                var actual = resumed.StepMetrics[i];
                Assert.Equal(expected.Step, actual.Step);
                Assert.Equal(expected.Loss, actual.Loss, 6);
                Assert.Equal(expected.PolicyLoss, actual.PolicyLoss, 6);
                Assert.Equal(expected.ValueLoss, actual.ValueLoss, 6);
                Assert.Equal(expected.RewardMean, actual.RewardMean, 6);
                Assert.Equal(expected.ObjectiveWeights, actual.ObjectiveWeights);
            }

            Assert.Equal(uninterrupted.ValidationScores, resumed.ValidationScores);
            Assert.Equal(uninterruptedBeta, resumedBeta, 12);
            foreach (var (name, value) in uninterruptedFactors)
            {
                Assert.True(value.allclose(resumedFactors[name], rtol: 0, atol: 1e-6), $"adapter factor {name} differs after resume");
            }
        }
        finally
        {
            File.Delete(checkpoint);
            File.Delete(checkpoint + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void CancellationLeavesLoadableCheckpoint()
    {
        string checkpoint = Path.Combine(Path.GetTempPath(), $"emorl-cancel-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var model = TinyModels.Create();
            using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
            var policy = new LoraObjectiveModel("vowels", model, adapter, ownsAdapter: false);
            var options = SmallOptions(PolicyAlgorithm.KScst);
            options.MaxSteps = 10;
            options.CheckpointPath = checkpoint;
            using var cancellation = new CancellationTokenSource();
            var progress = new SynchronousProgress(p =>
            {
                if (p.Step == 2)
                {
                    cancellation.Cancel();
                }
            });
            using var trainer = new PolicyTrainer(policy, new VowelReward(), Template(), options);

            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(s_statements, s_statements, progress, cancellation.Token));

            Assert.Equal(2, trainer.StepsTaken);
            Assert.True(File.Exists(checkpoint));
            using var freshAdapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 99);
            using var resumed = new PolicyTrainer(new LoraObjectiveModel("vowels", model, freshAdapter, false), new VowelReward(), Template(), options);
            resumed.LoadCheckpoint(checkpoint);
            Assert.Equal(2, resumed.StepsTaken);
            Assert.Equal(2 * options.PromptsPerStep, resumed.DataPoints);
            foreach (var ((name, expected), (_, actual)) in adapter.NamedFactors().Zip(freshAdapter.NamedFactors()))
            {
                Assert.True(expected.eq(actual).all().item<bool>(), $"adapter factor {name} was not restored");
            }
        }
        finally
        {
            File.Delete(checkpoint);
            File.Delete(checkpoint + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void PpoTrainsAdapterAndValueHeadOnly()
    {
        string checkpoint = Path.Combine(Path.GetTempPath(), $"emorl-ppo-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var model = TinyModels.Create();
            using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
            var baseBefore = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter.detach().clone());
            var adapterBefore = adapter.NamedFactors().ToDictionary(f => f.Name, f => f.Value.detach().clone());
            var options = PpoOptions(seed: 1);
            using var trainer = new PolicyTrainer(new LoraObjectiveModel("count_e", model, adapter, false), new CharacterCountReward('e', 10), Template(), options);

            var first = trainer.Step(s_statements);
            var second = trainer.Step(s_statements);
            trainer.SaveCheckpoint(checkpoint);

            foreach (var (name, value) in model.named_parameters())
            {
                Assert.True(value.eq(baseBefore[name]).all().item<bool>(), $"base parameter {name} changed");
            }

            foreach (var (name, value) in adapter.NamedFactors())
            {
                Assert.False(value.eq(adapterBefore[name]).all().item<bool>(), $"adapter parameter {name} did not change");
            }

            var saved = SafetensorsFile.Read(checkpoint);
            Assert.True(saved["value_head.summary.weight"].abs().sum().item<float>() > 0, "the value head's weight is still zero");
            Assert.True(saved["value_head.summary.bias"].abs().sum().item<float>() > 0, "the value head's bias is still zero");
            Assert.True(double.IsFinite(second.ValueLoss));
            Assert.InRange(second.ClipFraction, 0, 1);
            Assert.InRange(second.ValueClipFraction, 0, 1);
            Assert.True(second.Entropy > 0);
            Assert.Equal(options.PpoEpochs, first.OptimizerSteps);
        }
        finally
        {
            File.Delete(checkpoint);
            File.Delete(checkpoint + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void PpoStepsKeepLiveTensorCountFlat()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var options = PpoOptions(seed: 2);
        options.MiniBatchSize = 3;
        options.GradientAccumulationSteps = 2;
        options.NormalizeRewards = true;
        options.Sampling.MaxNewTokens = 6;
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("count_e", model, adapter, false), new CharacterCountReward('e', 10), Template(), options);
        for (int i = 0; i < 3; i++)
        {
            trainer.Step(s_statements);
        }

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 40; i++)
        {
            trainer.Step(s_statements);
        }

        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.InRange(after - before, -5, 5);
    }

    [Theory]
    [InlineData(PolicyAlgorithm.KScst, KlPenaltyPlacement.Loss, KlEstimator.K3)]
    [InlineData(PolicyAlgorithm.Rloo, KlPenaltyPlacement.Reward, KlEstimator.K1)]
    [InlineData(PolicyAlgorithm.Ppo, KlPenaltyPlacement.Reward, KlEstimator.K1)]
    [InlineData(PolicyAlgorithm.Ppo, KlPenaltyPlacement.Loss, KlEstimator.K3)]
    public void KlPenaltyChangesTheUpdate(PolicyAlgorithm algorithm, KlPenaltyPlacement placement, KlEstimator estimator)
    {
        var withoutKl = TrainedFactors(algorithm, placement, estimator, beta: 0, out var lastWithout);
        var withKl = TrainedFactors(algorithm, placement, estimator, beta: 1.0, out var lastWith);

        Assert.Contains(withKl, pair => !pair.Value.allclose(withoutKl[pair.Key], rtol: 0, atol: 1e-7));
        Assert.NotEqual(0.0, lastWith.Kl);
        Assert.Equal(1.0, lastWith.KlCoefficient);
        Assert.Equal(0.0, lastWithout.KlCoefficient);
    }

    [Theory]
    [InlineData(PolicyAlgorithm.KScst)]
    [InlineData(PolicyAlgorithm.Rloo)]
    public void AccumulatedMinibatchesMatchFullBatch(PolicyAlgorithm algorithm)
    {
        var fullBatch = OneStepFactors(algorithm, miniBatchSize: 0, accumulation: 1, out var fullMetrics);
        var accumulated = OneStepFactors(algorithm, miniBatchSize: 3, accumulation: 3, out var accumulatedMetrics);

        // AdamW's first step hardly depends on the gradient's scale, so the norm checks the scaling.
        Assert.Equal(fullMetrics.GradientNorm, accumulatedMetrics.GradientNorm, 4);
        foreach (var (name, value) in fullBatch)
        {
            Assert.True(value.allclose(accumulated[name], rtol: 1e-4, atol: 1e-6), $"adapter factor {name} differs with accumulation");
        }
    }

    [Fact]
    public void AdaptiveKlCoefficientChangesAfterSteps()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var options = PpoOptions(seed: 4);
        options.KlCoefficient = 0.2;
        options.TargetKl = 1e-6;
        options.KlHorizon = 100;
        options.KlEstimator = KlEstimator.K3;
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("count_e", model, adapter, false), new CharacterCountReward('e', 10), Template(), options);

        trainer.Step(s_statements);
        var second = trainer.Step(s_statements);

        // After the first update the k3 KL, never negative, exceeds the tiny target, so β grows by the maximum 20 % × n / horizon.
        Assert.True(second.SequenceKl > 1e-6, $"sequence KL {second.SequenceKl}");
        Assert.Equal(second.KlCoefficient * (1 + 0.2 * 8 / 100.0), trainer.KlCoefficient, 9);
    }

    [Fact]
    public void RepeatedObjectiveNameIsRejected()
    {
        using var model = TinyModels.Create();
        var reward = new RepeatedObjectiveReward();

        var error = Assert.Throws<ArgumentException>(() =>
            new PolicyTrainer(new LoraObjectiveModel("twice", model, LoraAdapter.Create(model, new LoraOptions { Rank = 2 }, 5)), reward, Template(), SmallOptions(PolicyAlgorithm.KScst)));

        Assert.Contains("lists the objective 'vowels' twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompositeRewardReportsEachObjective()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var reward = new CompositeRewardModel("uniform", [new VowelReward(), new CharacterCountReward('e', 10)]);
        var options = SmallOptions(PolicyAlgorithm.KScst);
        options.NormalizeObjectives = true;
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("uniform", model, adapter, false), reward, Template(), options);

        var metrics = trainer.Step(s_statements);
        var validation = trainer.ValidateObjectives(s_statements);

        Assert.Equal(["vowels", "count_e"], trainer.Objectives);
        Assert.Equal([0.5, 0.5], metrics.ObjectiveWeights);
        Assert.Equal(2, metrics.Objectives.Count);
        Assert.InRange(metrics.Objectives["vowels"].Mean, 0, 1);
        Assert.InRange(metrics.Objectives["count_e"].Mean, 0, 1);
        Assert.Equal((metrics.Objectives["vowels"].Mean + metrics.Objectives["count_e"].Mean) / 2, metrics.ScoreMean, 9);
        Assert.Equal(2, validation.Count);
    }

    [Fact]
    public void DynaOptWeightsAreNormalisedAfterABoost()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var reward = new CompositeRewardModel("dynaopt", [new VowelReward(), new CharacterCountReward('e', 10)]);
        var options = SmallOptions(PolicyAlgorithm.KScst);
        options.RewardWeighting = RewardWeighting.DynaOpt;
        options.ValidationInterval = 1;
        options.MaxSteps = 6;
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("dynaopt", model, adapter, false), reward, Template(), options);

        var result = trainer.Train(s_statements, s_statements);

        Assert.Equal(6, result.ValidationObjectiveScores.Count);
        foreach (var step in result.StepMetrics)
        {
            // DynaOpt starts at weight 1 per objective; after any boost the weights sum to 1.
            double total = step.ObjectiveWeights.Sum();
            Assert.True(Math.Abs(total - 2) < 1e-12 || Math.Abs(total - 1) < 1e-12, $"weights [{string.Join(", ", step.ObjectiveWeights)}]");
        }
    }

    [Fact]
    public void CheckpointOfAnotherAlgorithmIsRejected()
    {
        string checkpoint = Path.Combine(Path.GetTempPath(), $"emorl-mismatch-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var model = TinyModels.Create();
            using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
            var policy = new LoraObjectiveModel("vowels", model, adapter, false);
            using (var kscst = new PolicyTrainer(policy, new VowelReward(), Template(), SmallOptions(PolicyAlgorithm.KScst)))
            {
                kscst.SaveCheckpoint(checkpoint);
            }

            using var ppo = new PolicyTrainer(policy, new VowelReward(), Template(), PpoOptions(seed: 0));

            var error = Assert.Throws<InvalidDataException>(() => ppo.LoadCheckpoint(checkpoint));
            Assert.Contains("KScst", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(checkpoint);
            File.Delete(checkpoint + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void BatchedLogProbabilitiesMatchSingleRows()
    {
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 3);
        var forward = new PolicyForward(new LoraObjectiveModel("a", model, adapter, false), null, 1.0, entropyGradient: false);
        IReadOnlyList<IReadOnlyList<int>> prompts = [[3, 14, 15, 9, 26], [5, 35], [8, 9, 7, 9, 3, 2, 3, 8, 4]];
        IReadOnlyList<IReadOnlyList<int>> responses = [[1, 2, 60], [7], [4, 4, 4, 4, 60]];
        IReadOnlyList<IReadOnlyList<double>> scores = [[0.0], [0.0], [0.0]];

        using var scope = NewDisposeScope();
        var batched = PolicyRollout.Create(forward, prompts, responses, scores, TinyModels.EndOfText);

        for (int row = 0; row < prompts.Count; row++)
        {
            var single = PolicyRollout.Create(forward, [prompts[row]], [responses[row]], [scores[row]], TinyModels.EndOfText);
            var expected = single.OldLogProbabilities[0].data<float>().ToArray();
            var actual = batched.OldLogProbabilities[row].data<float>().ToArray();
            for (int t = 0; t < responses[row].Count; t++)
            {
                Assert.Equal(expected[t], actual[t], 4);
            }
        }
    }

    private static (Emorl.Training.ObjectiveTrainingResult Result, double Beta, Dictionary<string, Tensor> Factors) RunResumeCase(
        PolicyAlgorithm algorithm, int maxSteps, string? load, string? save)
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1 }, load is null ? 5 : 77);
        var reward = new CompositeRewardModel("both", [new VowelReward(), new CharacterCountReward('e', 10)]);
        var options = algorithm == PolicyAlgorithm.Ppo ? PpoOptions(seed: 11) : SmallOptions(algorithm);
        options.Seed = 11;
        options.MaxSteps = maxSteps;
        options.ValidationInterval = 1;
        options.RewardWeighting = RewardWeighting.DynaOpt;
        options.NormalizeRewards = true;
        options.TargetKl = 0.5;
        options.KlCoefficient = 0.1;
        options.MiniBatchSize = 4;
        options.GradientAccumulationSteps = 2;
        options.CheckpointPath = save;
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("both", model, adapter, false), reward, Template(), options);
        if (load is not null)
        {
            trainer.LoadCheckpoint(load);
        }

        var result = trainer.Train(s_statements, s_statements);
        var factors = adapter.NamedFactors().ToDictionary(f => f.Name, f => f.Value.detach().clone());
        return (result, trainer.KlCoefficient, factors);
    }

    private static Dictionary<string, Tensor> TrainedFactors(
        PolicyAlgorithm algorithm, KlPenaltyPlacement placement, KlEstimator estimator, double beta, out TrainingStepMetrics last)
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }, 5);
        var options = algorithm == PolicyAlgorithm.Ppo ? PpoOptions(seed: 6) : SmallOptions(algorithm);
        options.KlPenalty = placement;
        options.KlEstimator = estimator;
        options.KlCoefficient = beta;
        options.TargetKl = null;
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("vowels", model, adapter, false), new VowelReward(), Template(), options);
        last = trainer.Step(s_statements);
        last = trainer.Step(s_statements);
        last = trainer.Step(s_statements);
        return adapter.NamedFactors().ToDictionary(f => f.Name, f => f.Value.detach().clone());
    }

    private static Dictionary<string, Tensor> OneStepFactors(
        PolicyAlgorithm algorithm, int miniBatchSize, int accumulation, out TrainingStepMetrics metrics)
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }, 5);
        var options = SmallOptions(algorithm);
        options.SamplesPerPrompt = 2;
        options.KlCoefficient = 0;
        options.MiniBatchSize = miniBatchSize;
        options.GradientAccumulationSteps = accumulation;
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("vowels", model, adapter, false), new VowelReward(), Template(), options);
        metrics = trainer.Step(s_statements);
        Assert.Equal(1, metrics.OptimizerSteps);
        return adapter.NamedFactors().ToDictionary(f => f.Name, f => f.Value.detach().clone());
    }

    /// <summary>The tiny model with its tied token embedding scaled up, so an adapter can make the next-token distribution peaked.</summary>
    /// <remarks>
    /// With GPT-2's initialisation (std 0.02) and a frozen final layer norm, the logits of a 32-wide
    /// model stay within about ±0.7, so no adapter can raise a token's probability much.
    /// </remarks>
    private static Gpt2Model ExpressiveModel()
    {
        var model = TinyModels.Create();
        using (no_grad())
        {
            model.TokenEmbedding.mul_(10);
        }

        return model;
    }

    private static PromptTemplate Template() => new(new CharacterTokenizer(), maxPromptTokens: 48, prefix: "Client: ", suffix: "\nCounselor:");

    private static PolicyTrainerOptions SmallOptions(PolicyAlgorithm algorithm) => new()
    {
        Algorithm = algorithm,
        PromptsPerStep = 4,
        SamplesPerPrompt = 2,
        LearningRate = 3e-3,
        Seed = 3,
        Sampling = new GenerationOptions { MaxNewTokens = 10 },
    };

    private static PolicyTrainerOptions PpoOptions(long seed)
    {
        var options = PolicyTrainerOptions.CreatePpo();
        options.PromptsPerStep = 4;
        options.SamplesPerPrompt = 2;
        options.LearningRate = 3e-3;
        options.KlCoefficient = 0.01;
        options.TargetKl = null;
        options.RewardTransform = RewardTransform.Clipped;
        options.Seed = seed;
        options.Sampling = new GenerationOptions { MaxNewTokens = 10 };
        return options;
    }

    /// <summary>Calls the handler on the reporting thread, unlike <see cref="Progress{T}"/>.</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}

/// <summary>A user's multi-objective reward model that lists one objective name twice.</summary>
internal sealed class RepeatedObjectiveReward : IRewardModel
{
    public string Name => "twice";

    public IReadOnlyList<string> Objectives => ["vowels", "vowels"];

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) => pairs.Select(_ => 0.5).ToArray();

    public IReadOnlyList<IReadOnlyList<double>> ScoreObjectives(IReadOnlyList<PromptResponse> pairs) =>
        pairs.Select(_ => (IReadOnlyList<double>)[0.5, 0.5]).ToArray();
}
