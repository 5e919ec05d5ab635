using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Generation;
using Emorl.Pipeline;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests.Pipeline;

[Collection("Torch")]
public sealed class EmorlTrainerTests
{
    private static readonly string[] s_train =
    [
        "I feel tired all the time",
        "my boss shouts at me",
        "I cannot sleep at night",
        "I drink too much on weekends",
    ];

    private static readonly string[] s_validation = ["I miss my sister", "work is too much"];

    private static readonly (string, string)[] s_pairs =
    [
        ("I feel tired all the time", "you sound worn out"),
        ("my boss shouts at me", "that sounds hard"),
    ];

    [Fact]
    public void StagesRunInOrderAndReportProgress()
    {
        var lengthReward = new LengthReward();
        var trainer = CreateTrainer(lengthReward);
        var tokenizer = new CharacterTokenizer();
        var template = trainer.CreateTemplate(tokenizer);
        var events = new List<EmorlProgress>();
        var progress = new ListProgress(events);
        using var model = trainer.CreateBaseModel(tokenizer);

        trainer.WarmUp(model, template, s_pairs, s_pairs, progress);
        using (var ensemble = trainer.TrainObjectives(model, template, s_train, s_validation, progress))
        {
            var search = trainer.SearchWeights(ensemble, s_validation, progress);
            var evaluation = trainer.Evaluate(ensemble, search.BestWeights, s_validation, progress);
            var replies = ensemble.Generate(["I feel alone"], search.BestWeights);

            Assert.Equal(["vowels", "length"], ensemble.Objectives);
            Assert.Equal(2, ensemble.TrainingResults.Count);
            Assert.Equal(9, search.Evaluations);
            Assert.Equal(2, evaluation.Samples.Count);
            Assert.Single(replies);
        }

        Assert.Equal(
            [EmorlStage.Warmup, EmorlStage.ObjectiveTraining, EmorlStage.WeightSearch, EmorlStage.Evaluation],
            events.Select(e => e.Stage).Distinct());
        Assert.Equal(["warm-up", "vowels", "length", "search", "evaluation"], events.Select(e => e.Name).Distinct());
        foreach (var name in new[] { "warm-up", "vowels", "length", "search", "evaluation" })
        {
            Assert.True(events.Last(e => e.Name == name).IsComplete, $"stage {name} never reported completion");
        }

        Assert.True(lengthReward.IsDisposed, "the ensemble did not dispose the reward model it owned");
    }

    [Fact]
    public void SavedAdaptersReloadToTheSameReplies()
    {
        var trainer = CreateTrainer(new LengthReward());
        var tokenizer = new CharacterTokenizer();
        var template = trainer.CreateTemplate(tokenizer);
        using var model = trainer.CreateBaseModel(tokenizer);
        string folder = Path.Combine(Path.GetTempPath(), "emorl-ensemble-" + Guid.NewGuid().ToString("N"));
        double[] weights = [0.7, 0.3];
        try
        {
            IReadOnlyList<string> before;
            using (var ensemble = trainer.TrainObjectives(model, template, s_train, s_validation))
            {
                ensemble.SaveAdapters(folder);
                before = ensemble.Generate(s_validation, weights);
            }

            using var loaded = trainer.LoadObjectives(model, template, folder);
            var after = loaded.Generate(s_validation, weights);

            Assert.Equal(before, after);
            Assert.Empty(loaded.TrainingResults);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void CancelledTrainingThrowsAndDisposesOwnedRewards()
    {
        var lengthReward = new LengthReward();
        var trainer = CreateTrainer(lengthReward);
        var tokenizer = new CharacterTokenizer();
        using var model = trainer.CreateBaseModel(tokenizer);
        using var cancellation = new CancellationTokenSource();
        var events = new List<EmorlProgress>();
        var progress = new ListProgress(events, e =>
        {
            if (e.Name == "length")
            {
                cancellation.Cancel();
            }
        });

        Assert.Throws<OperationCanceledException>(
            () => trainer.TrainObjectives(model, trainer.CreateTemplate(tokenizer), s_train, s_validation, progress, cancellation.Token));

        Assert.Equal(1, events.Count(e => e.Name == "length"));
        Assert.True(lengthReward.IsDisposed);
    }

    [Fact]
    public void CanceledSearchReturnsPointsScoredSoFar()
    {
        var trainer = CreateTrainer(new LengthReward());
        var tokenizer = new CharacterTokenizer();
        var template = trainer.CreateTemplate(tokenizer);
        using var model = trainer.CreateBaseModel(tokenizer);
        using var ensemble = trainer.TrainObjectives(model, template, s_train, s_validation);
        using var cancellation = new CancellationTokenSource();
        var progress = new ListProgress([], e =>
        {
            if (e.Stage == EmorlStage.WeightSearch && e.Completed == 4)
            {
                cancellation.Cancel();
            }
        });

        var search = trainer.SearchWeights(ensemble, s_validation, progress, cancellation.Token);

        Assert.True(search.IsPartial);
        Assert.Equal(4, search.Evaluations);
        Assert.Equal(4, search.History.Count);
        Assert.Equal(search.History.Max(e => e.Score), search.BestScore);
        Assert.Equal(2, search.BestWeights.Count);
    }

    [Fact]
    public void CanceledEnsembleGenerationReturnsPartialReplies()
    {
        var trainer = CreateTrainer(new LengthReward());
        var tokenizer = new CharacterTokenizer();
        var template = trainer.CreateTemplate(tokenizer);
        using var model = trainer.CreateBaseModel(tokenizer);
        using var ensemble = trainer.TrainObjectives(model, template, s_train, s_validation);
        double[] weights = [0.6, 0.4];
        var full = ensemble.Generate(s_validation, weights);
        using var cancellation = new CancellationTokenSource();
        var reports = new List<GenerationProgress>();
        var progress = new SynchronousProgress<GenerationProgress>(p =>
        {
            reports.Add(p);
            if (p.Step == 2)
            {
                cancellation.Cancel();
            }
        });

        var partial = ensemble.Generate(s_validation, weights, null, progress, cancellation.Token);

        Assert.True(partial.IsPartial);
        Assert.Equal(2, partial.Steps);
        Assert.Equal([1, 2], reports.Select(r => r.Step));
        Assert.Equal(s_validation.Length, partial.Replies.Count);
        for (int row = 0; row < full.Count; row++)
        {
            Assert.StartsWith(partial.Replies[row].TrimEnd(), full[row], StringComparison.Ordinal);
        }

        Assert.Throws<OperationCanceledException>(() => ensemble.Generate(s_validation, weights, cancellationToken: cancellation.Token));
    }

    [Fact]
    public void StatementsAndRepliesAreLoggedOnlyAtTrace()
    {
        var logs = new LogCapture();
        var trainer = new EmorlTrainer(
            TinyOptions(),
            [
                new ObjectiveDefinition("vowels", _ => new VowelReward(), ownsReward: false),
                new ObjectiveDefinition("length", _ => new LengthReward()),
            ],
            logs);
        var tokenizer = new CharacterTokenizer();
        var template = trainer.CreateTemplate(tokenizer);
        using var model = trainer.CreateBaseModel(tokenizer);
        string folder = Path.Combine(Path.GetTempPath(), "emorl-logs-" + Guid.NewGuid().ToString("N"));
        var texts = new List<string>(s_train.Concat(s_validation).Concat(s_pairs.SelectMany(p => new[] { p.Item1, p.Item2 })));
        try
        {
            trainer.WarmUp(model, template, s_pairs, s_pairs);
            using (var ensemble = trainer.TrainObjectives(model, template, s_train, s_validation))
            {
                var search = trainer.SearchWeights(ensemble, s_validation);
                var evaluation = trainer.Evaluate(ensemble, search.BestWeights, s_validation);
                texts.AddRange(evaluation.Samples.Select(sample => sample.Response).Where(r => r.Trim().Length >= 4));
                ensemble.SaveAdapters(folder);
            }

            using var loaded = trainer.LoadObjectives(model, template, folder);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        var aboveTrace = logs.Entries.Where(e => e.Level > LogLevel.Trace).ToArray();
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Trace && e.Contains(s_validation[0]));
        foreach (string text in texts)
        {
            Assert.DoesNotContain(aboveTrace, e => e.Contains(text));
        }

        Assert.Equal(2, logs.Entries.Count(e => e.EventId.Name == "AdapterSaved" && e.Level == LogLevel.Information));
        Assert.Equal(2, logs.Entries.Count(e => e.EventId.Name == "AdapterLoaded" && e.Level == LogLevel.Information));
        Assert.Contains(logs.Entries, e => e.Category == typeof(Emorl.Aggregation.HiddenStateAggregator).FullName && e.EventId.Name == "Generated");
    }

    [Fact]
    public void TrainerWithoutObjectivesExplainsTheFix()
    {
        var trainer = new EmorlTrainer(TinyOptions(), []);
        var tokenizer = new CharacterTokenizer();
        using var model = trainer.CreateBaseModel(tokenizer);

        var error = Assert.Throws<InvalidOperationException>(
            () => trainer.TrainObjectives(model, trainer.CreateTemplate(tokenizer), s_train, s_validation));

        Assert.Contains("AddObjective", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptionsAreRejectedBeforeAnyModelIsBuilt()
    {
        var options = TinyOptions();
        options.Training.SamplesPerPrompt = 1;
        options.Search.Levels = 99;

        var error = Assert.Throws<ArgumentException>(() => new EmorlTrainer(options, []));

        Assert.Contains("Training.SamplesPerPrompt", error.Message, StringComparison.Ordinal);
        Assert.Contains("Search.Levels", error.Message, StringComparison.Ordinal);
    }

    private static EmorlTrainer CreateTrainer(LengthReward lengthReward) => new(
        TinyOptions(),
        [
            new ObjectiveDefinition("vowels", _ => new VowelReward(), ownsReward: false),
            new ObjectiveDefinition("length", _ => lengthReward),
        ]);

    private static EmorlOptions TinyOptions()
    {
        var options = new EmorlOptions { MaxPromptTokens = 40, MaxResponseTokens = 16, Seed = 3 };
        options.Model.LayerCount = 1;
        options.Model.HiddenSize = 16;
        options.Model.HeadCount = 2;
        options.Model.ContextLength = 64;
        options.Warmup.Steps = 3;
        options.Warmup.BatchSize = 2;
        options.Lora.Rank = 2;
        options.Training.MaxSteps = 2;
        options.Training.PromptsPerStep = 2;
        options.Training.ValidationInterval = 1;
        options.Training.Sampling.MaxNewTokens = 8;
        options.Search.Levels = 1;
        options.Decoding.MaxNewTokens = 8;
        return options;
    }

    /// <summary>Records reports synchronously, unlike <see cref="Progress{T}"/>.</summary>
    private sealed class ListProgress(List<EmorlProgress> events, Action<EmorlProgress>? onReport = null) : IProgress<EmorlProgress>
    {
        public void Report(EmorlProgress value)
        {
            events.Add(value);
            onReport?.Invoke(value);
        }
    }
}
