using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Emorl.Evaluation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Tokenization;
using Emorl.Training;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests.Rewards;

[Collection("Torch")]
public sealed class RewardScoringTests
{
    private static readonly string[] s_statements = ["I feel tired", "my boss shouts", "I cannot sleep BAD", "I drink too much"];

    [Theory]
    [InlineData(double.NaN, "returned NaN for objective 'faulty' at pair 2")]
    [InlineData(double.PositiveInfinity, "returned Infinity for objective 'faulty' at pair 2")]
    [InlineData(1.5, "returned 1.5 for objective 'faulty' at pair 2, outside [0, 1]")]
    [InlineData(-0.25, "returned -0.25 for objective 'faulty' at pair 2, outside [0, 1]")]
    public void EvaluatorRejectsInvalidScoreNamingObjectiveAndPair(double score, string expected)
    {
        using var model = TinyModels.Create();
        var evaluator = new ObjectiveEvaluator(Template(), [new FaultyReward(score, marker: "BAD")], s_statements);

        var error = Assert.Throws<RewardModelException>(() => evaluator.Evaluate(Generate(model)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal("faulty", error.Objective);
        Assert.Equal(2, error.PairIndex);
    }

    [Fact]
    public void EvaluatorReplacesNonFiniteScoresWhenAsked()
    {
        using var model = TinyModels.Create();
        var logger = new RecordingLogger<ObjectiveEvaluator>();
        var evaluator = new ObjectiveEvaluator(Template(), [new FaultyReward(double.NaN, marker: "BAD")], s_statements, logger: logger)
        {
            NonFiniteRewards = NonFiniteRewardHandling.ReplaceWithZero,
        };

        EvaluationResult result = evaluator.Evaluate(Generate(model));

        Assert.Equal(0.375, result.Scores["faulty"], 12);
        var warning = Assert.Single(logger.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Contains("returned 1 non-finite scores for 4 pairs", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfRangeScoreFailsEvenWhenReplacing()
    {
        using var model = TinyModels.Create();
        var evaluator = new ObjectiveEvaluator(Template(), [new FaultyReward(2.0, marker: "BAD")], s_statements)
        {
            NonFiniteRewards = NonFiniteRewardHandling.ReplaceWithZero,
        };

        var error = Assert.Throws<RewardModelException>(() => evaluator.Evaluate(Generate(model)));

        Assert.Contains("outside [0, 1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowingRewardIsWrappedWithFailingPair()
    {
        using var model = TinyModels.Create();
        var evaluator = new ObjectiveEvaluator(Template(), [new FaultyReward(0, throws: true, marker: "BAD")], s_statements);

        var error = Assert.Throws<RewardModelException>(() => evaluator.Evaluate(Generate(model)));

        Assert.Contains("Reward model 'faulty' threw InvalidOperationException", error.Message, StringComparison.Ordinal);
        Assert.Contains("pair 2 of 4 fails when scored alone", error.Message, StringComparison.Ordinal);
        Assert.Contains("lookup table has no entry", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.PairIndex);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public void TrainerRejectsNaNRewardByDefault()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var objective = new LoraObjectiveModel("faulty", model, adapter, ownsAdapter: false);
        using var trainer = new PolicyTrainer(objective, new FaultyReward(double.NaN, marker: "BAD"), Template(), SmallOptions());

        var error = Assert.Throws<RewardModelException>(() => trainer.Step(s_statements));

        // Each statement is sampled 3 times, so the third statement's samples are pairs 6 to 8.
        Assert.Contains("returned NaN for objective 'faulty' at pair 6", error.Message, StringComparison.Ordinal);
        Assert.Contains("NonFiniteRewards", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainerReplacesNaNRewardWithOneWarning()
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var objective = new LoraObjectiveModel("faulty", model, adapter, ownsAdapter: false);
        var options = SmallOptions();
        options.NonFiniteRewards = NonFiniteRewardHandling.ReplaceWithZero;
        var logger = new RecordingLogger<PolicyTrainer>();
        using var trainer = new PolicyTrainer(objective, new FaultyReward(double.NaN, marker: "BAD"), Template(), options, logger);

        TrainingStepMetrics metrics = trainer.Step(s_statements);

        Assert.True(double.IsFinite(metrics.Loss));
        var warning = Assert.Single(logger.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Contains("returned 3 non-finite scores for 12 pairs", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullFromScoreIsNamed()
    {
        using var model = TinyModels.Create();
        var evaluator = new ObjectiveEvaluator(Template(), [new DelegateReward(_ => null!)], s_statements);
        using var trainer = new PolicyTrainer(
            new LoraObjectiveModel("delegate", model, LoraAdapter.Create(model, new LoraOptions { Rank = 2 }, seed: 3)),
            new DelegateReward(_ => null!), Template(), SmallOptions());

        var fromEvaluator = Assert.Throws<RewardModelException>(() => evaluator.Evaluate(Generate(model)));
        var fromTrainer = Assert.Throws<RewardModelException>(() => trainer.Step(s_statements));

        Assert.Contains("returned null scores for 4 pairs", fromEvaluator.Message, StringComparison.Ordinal);
        Assert.Contains("Reward model 'delegate' returned null from Score for 12 pairs", fromTrainer.Message, StringComparison.Ordinal);
        Assert.Equal("delegate", fromTrainer.Objective);
    }

    [Fact]
    public void RewardModelTimeoutIsAFailureNotACancellation()
    {
        using var model = TinyModels.Create();
        var evaluator = new ObjectiveEvaluator(
            Template(), [new DelegateReward(_ => throw new TaskCanceledException("The request timed out."))], s_statements);

        var error = Assert.Throws<RewardModelException>(() => evaluator.Evaluate(Generate(model)));

        Assert.Contains("Reward model 'delegate' threw TaskCanceledException", error.Message, StringComparison.Ordinal);
        Assert.IsType<TaskCanceledException>(error.InnerException);
    }

    [Fact]
    public void CancellationDuringScoringStillCancels()
    {
        using var model = TinyModels.Create();
        using var cancellation = new CancellationTokenSource();
        var evaluator = new ObjectiveEvaluator(
            Template(),
            [new DelegateReward(pairs =>
            {
                cancellation.Cancel();
                cancellation.Token.ThrowIfCancellationRequested();
                return pairs.Select(_ => 0.5).ToArray();
            })],
            s_statements);

        Assert.ThrowsAny<OperationCanceledException>(() => evaluator.Evaluate(Generate(model), cancellation.Token));
    }

    private static Func<IReadOnlyList<IReadOnlyList<int>>, IReadOnlyList<int[]>> Generate(Gpt2Model model) =>
        prompts => new LoraObjectiveModel("base", model, null).Generate(prompts, TinyModels.EndOfText, GenerationOptions.CreateGreedy(4));

    private static PromptTemplate Template() => new(new CharacterTokenizer(), maxPromptTokens: 48, prefix: "Client: ", suffix: "\nCounselor:");

    private static PolicyTrainerOptions SmallOptions() => new()
    {
        PromptsPerStep = 4,
        SamplesPerPrompt = 3,
        LearningRate = 1e-3,
        Seed = 3,
        Sampling = new GenerationOptions { MaxNewTokens = 6 },
    };
}

/// <summary>A reward model whose scores come from a delegate, to play a broken user model.</summary>
internal sealed class DelegateReward(Func<IReadOnlyList<PromptResponse>, IReadOnlyList<double>> score) : IRewardModel
{
    public string Name => "delegate";

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) => score(pairs);
}
