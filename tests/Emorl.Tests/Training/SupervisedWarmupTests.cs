using System;
using System.Linq;
using Emorl.Tokenization;
using Emorl.Training;

namespace Emorl.Tests.Training;

[Collection("Torch")]
public sealed class SupervisedWarmupTests
{
    private static readonly (string Statement, string Response)[] s_pairs =
    [
        ("I feel tired all the time", "You are worn out."),
        ("my boss shouts at me", "Work feels unsafe."),
        ("I cannot sleep at night", "Nights are hard."),
    ];

    [Fact]
    public void SmallRunGivesFiniteLosses()
    {
        using var model = TinyModels.Create();
        var warmup = new SupervisedWarmup(new WarmupOptions { Steps = 3, BatchSize = 2, LearningRate = 1e-3 });

        WarmupResult result = warmup.Train(model, Template(), s_pairs, s_pairs);

        Assert.All(result.Losses, loss => Assert.True(double.IsFinite(loss), $"loss {loss} is not finite"));
    }

    [Fact]
    public void DivergingLearningRateNamesStepAndFix()
    {
        using var model = TinyModels.Create();
        var warmup = new SupervisedWarmup(new WarmupOptions { Steps = 10, BatchSize = 2, LearningRate = 1e30, MaxGradientNorm = 1e30 });

        var error = Assert.Throws<TrainingDivergedException>(() => warmup.Train(model, Template(), s_pairs, s_pairs));

        Assert.Equal("warm-up", error.Objective);
        Assert.InRange(error.Step, 1, 10);
        Assert.Contains($"The supervised warm-up diverged at step {error.Step}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Lower WarmupOptions.LearningRate", error.Message, StringComparison.Ordinal);
        Assert.True(model.parameters().All(p => p.isfinite().all().item<bool>()), "a rejected update reached the weights");
    }

    [Fact]
    public void CancelledWarmupRestoresFrozenEvalModel()
    {
        using var model = TinyModels.Create();
        model.SetFrozen(true);
        var warmup = new SupervisedWarmup(new WarmupOptions { Steps = 3, BatchSize = 2, LearningRate = 1e-3 });
        using var cancelled = new System.Threading.CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => warmup.Train(model, Template(), s_pairs, s_pairs, null, cancelled.Token));

        Assert.False(model.training, "the model was left in training mode");
        Assert.DoesNotContain(model.parameters(), p => p.requires_grad);
    }

    private static PromptTemplate Template() => new(new CharacterTokenizer(), maxPromptTokens: 48, prefix: "Client: ", suffix: "\nCounselor:");
}
