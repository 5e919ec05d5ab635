using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Checkpoints;
using Emorl.Rewards;
using TorchSharp;
using Xunit.Abstractions;

namespace Emorl.Tests.Rewards;

[Collection("Torch")]
public sealed class TextPairScorerTests : IClassFixture<SyntheticScorerFixture>
{
    private readonly SyntheticScorerFixture _fixture;
    private readonly ITestOutputHelper _output;

    public TextPairScorerTests(SyntheticScorerFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public void ScorerRanksUnseenPromptsCorrectly()
    {
        List<ScoredPair> heldOut = _fixture.HeldOut;

        IReadOnlyList<double> scores = _fixture.Scorer.Score(heldOut.Select(e => e.Pair).ToArray());
        double accuracy = RewardMetrics.PairwiseRankingAccuracy(heldOut, scores);
        _output.WriteLine($"Held-out ranking accuracy on {heldOut.Count} synthetic pairs: {accuracy:F3}");

        Assert.True(accuracy > 0.8, $"Held-out ranking accuracy {accuracy:F3} is not above 0.8.");
    }

    [Fact]
    public void ScoresLieInUnitIntervalForEdgeCases()
    {
        string longText = string.Join(' ', Enumerable.Repeat("my job makes me anxious", 100));
        var pairs = new[]
        {
            new PromptResponse("I feel anxious about my job.", string.Empty),
            new PromptResponse(string.Empty, "You feel anxious."),
            new PromptResponse(string.Empty, string.Empty),
            new PromptResponse(longText, longText),
            new PromptResponse("Words never seen: zyx qwv.", "Completely unknown: plugh xyzzy."),
        };

        IReadOnlyList<double> scores = _fixture.Scorer.Score(pairs);

        Assert.Equal(pairs.Length, scores.Count);
        Assert.All(scores, score => Assert.InRange(score, 0.0, 1.0));
    }

    [Fact]
    public void EmptyBatchReturnsNoScores()
    {
        IReadOnlyList<double> scores = _fixture.Scorer.Score(Array.Empty<PromptResponse>());

        Assert.Empty(scores);
    }

    [Fact]
    public void ScoresDoNotDependOnBatchComposition()
    {
        PromptResponse[] pairs = _fixture.HeldOut.Select(e => e.Pair).Take(40).ToArray();

        IReadOnlyList<double> together = _fixture.Scorer.Score(pairs);
        double[] alone = pairs.Select(p => _fixture.Scorer.Score(new[] { p })[0]).ToArray();

        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(alone[i], together[i], 1e-5);
        }
    }

    [Fact]
    public void LongPromptKeepsItsLastTokens()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.MaxTokensPerSide = 6;
        options.Epochs = 1;
        using TextPairScorer scorer = TrainSynthetic(options);
        const string Kept = "my job makes me so anxious";

        double truncated = ScoreOne(scorer, "lately the bills and rumours around " + Kept, "You feel anxious.");
        double direct = ScoreOne(scorer, Kept, "You feel anxious.");

        Assert.Equal(direct, truncated, 1e-6);
    }

    [Fact]
    public void LongResponseKeepsItsFirstTokens()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.MaxTokensPerSide = 6;
        options.Epochs = 1;
        using TextPairScorer scorer = TrainSynthetic(options);
        const string Kept = "you feel anxious about your job";

        double truncated = ScoreOne(scorer, "My job makes me anxious.", Kept + " because of the bills");
        double direct = ScoreOne(scorer, "My job makes me anxious.", Kept);

        Assert.Equal(direct, truncated, 1e-6);
    }

    [Fact]
    public void SameSeedGivesIdenticalScores()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 3;
        PromptResponse[] pairs = _fixture.HeldOut.Select(e => e.Pair).ToArray();

        using TextPairScorer first = TrainSynthetic(options);
        using TextPairScorer second = TrainSynthetic(options);

        Assert.Equal(first.Score(pairs), second.Score(pairs));
    }

    [Fact]
    public void DifferentSeedGivesDifferentScores()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 1;
        PromptResponse[] pairs = _fixture.HeldOut.Select(e => e.Pair).ToArray();

        using TextPairScorer first = TrainSynthetic(options);
        options.Seed++;
        using TextPairScorer second = TrainSynthetic(options);

        Assert.NotEqual(first.Score(pairs), second.Score(pairs));
    }

    [Fact]
    public void SaveAndLoadGiveIdenticalScores()
    {
        string path = Path.Combine(Path.GetTempPath(), $"emorl-scorer-{Guid.NewGuid():N}.bin");
        PromptResponse[] pairs = _fixture.HeldOut.Select(e => e.Pair).ToArray();
        try
        {
            _fixture.Scorer.Save(path);
            using TextPairScorer loaded = TextPairScorer.Load(path, _fixture.Tokenizer);

            Assert.Equal("reflection", loaded.Name);
            Assert.Equal(_fixture.Scorer.Options.EmbeddingSize, loaded.Options.EmbeddingSize);
            Assert.Equal(_fixture.Scorer.Score(pairs), loaded.Score(pairs));
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void LoadRejectsForeignFileNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"emorl-not-a-scorer-{Guid.NewGuid():N}.bin");
        File.WriteAllText(path, "prompt,hq1,hq2\nnot,a,model\n");
        try
        {
            var exception = Assert.Throws<InvalidDataException>(() => TextPairScorer.Load(path, _fixture.Tokenizer));

            Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void LoadRejectsTruncatedFileNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"emorl-truncated-{Guid.NewGuid():N}.bin");
        try
        {
            _fixture.Scorer.Save(path);
            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

            var exception = Assert.Throws<InvalidDataException>(() => TextPairScorer.Load(path, _fixture.Tokenizer));

            Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void LoadRejectsTokenizerOfAnotherVocabulary()
    {
        string path = Path.Combine(Path.GetTempPath(), $"emorl-scorer-{Guid.NewGuid():N}.bin");
        var otherTokenizer = new WordLevelTokenizer(new[] { "only a few words" });
        try
        {
            _fixture.Scorer.Save(path);

            var exception = Assert.Throws<InvalidDataException>(() => TextPairScorer.Load(path, otherTokenizer));

            Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + CheckpointManifest.FileManifestSuffix);
        }
    }

    [Fact]
    public void LoadRejectsWeightsThatDoNotFitHeader()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 1;
        using TextPairScorer small = TrainSynthetic(options, examples: _fixture.Training.Take(3).ToList());
        string bigPath = Path.Combine(Path.GetTempPath(), $"emorl-big-{Guid.NewGuid():N}.bin");
        string smallPath = Path.Combine(Path.GetTempPath(), $"emorl-small-{Guid.NewGuid():N}.bin");
        string mixedPath = Path.Combine(Path.GetTempPath(), $"emorl-mixed-{Guid.NewGuid():N}.bin");
        try
        {
            _fixture.Scorer.Save(bigPath);
            small.Save(smallPath);
            byte[] big = File.ReadAllBytes(bigPath);
            byte[] smaller = File.ReadAllBytes(smallPath);

            // The big scorer's header (more seen tokens) followed by the small scorer's weights.
            byte[] mixed = big[..HeaderLength(big)].Concat(smaller[HeaderLength(smaller)..]).ToArray();
            File.WriteAllBytes(mixedPath, mixed);
            var exception = Assert.Throws<InvalidDataException>(
                () => TextPairScorer.Load(mixedPath, _fixture.Tokenizer));

            Assert.Contains(mixedPath, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(bigPath);
            File.Delete(bigPath + CheckpointManifest.FileManifestSuffix);
            File.Delete(smallPath);
            File.Delete(smallPath + CheckpointManifest.FileManifestSuffix);
            File.Delete(mixedPath);
        }
    }

    [Fact]
    public void ScoringKeepsLiveTensorCountFlat()
    {
        PromptResponse[] batch = _fixture.HeldOut.Select(e => e.Pair).Take(16).ToArray();
        _fixture.Scorer.Score(batch);
        long before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        for (int i = 0; i < 200; i++)
        {
            _fixture.Scorer.Score(batch);
        }

        long after = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    [Fact]
    public void TrainingAndDisposeLeaveNoLiveTensors()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 3;
        long before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        TextPairScorer scorer = TrainSynthetic(options);
        scorer.Score(_fixture.HeldOut.Select(e => e.Pair).ToArray());
        scorer.Dispose();

        long after = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    [Fact]
    public void RepeatedScoringGivesIdenticalScores()
    {
        PromptResponse[] pairs = _fixture.HeldOut.Select(e => e.Pair).ToArray();

        IReadOnlyList<double> first = _fixture.Scorer.Score(pairs);
        IReadOnlyList<double> second = _fixture.Scorer.Score(pairs);

        Assert.Equal(first, second);
    }

    [Fact]
    public void TrainingStopsWhenCancelled()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(
            () => TrainSynthetic(options, cancellationToken: cancellation.Token));
    }

    [Fact]
    public void TrainAndScoreRestoreTorchThreadCount()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 1;
        options.ThreadCount = 1;
        int before = torch.get_num_threads();
        torch.set_num_threads(2);
        try
        {
            using TextPairScorer scorer = TrainSynthetic(options);
            int afterTraining = torch.get_num_threads();
            scorer.Score(_fixture.HeldOut.Select(e => e.Pair).ToArray());
            int afterScoring = torch.get_num_threads();

            Assert.Equal(2, afterTraining);
            Assert.Equal(2, afterScoring);
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Fact]
    public void TrainingReportsProgressEveryEpoch()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 2;
        var progress = new RecordingProgress();

        using TextPairScorer scorer = TrainSynthetic(options, progress);

        Assert.Equal(new[] { 1, 2 }, progress.Reports.Select(r => r.Epoch));
        Assert.All(progress.Reports, r => Assert.True(double.IsFinite(r.MeanLoss)));
    }

    [Fact]
    public void TrainingRejectsEmptyExamples()
    {
        var options = SyntheticScorerFixture.CreateOptions();

        var exception = Assert.Throws<ArgumentException>(
            () => TextPairScorer.Train("reflection", _fixture.Tokenizer, Array.Empty<ScoredPair>(), options));

        Assert.Equal("examples", exception.ParamName);
    }

    [Fact]
    public void TrainingRejectsInvalidOptionsBeforeWork()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 0;

        var exception = Assert.Throws<ArgumentException>(
            () => TrainSynthetic(options));

        Assert.Contains("Epochs is 0", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoringAfterDisposeThrows()
    {
        var options = SyntheticScorerFixture.CreateOptions();
        options.Epochs = 1;
        TextPairScorer scorer = TrainSynthetic(options);

        scorer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => scorer.Score(new[] { new PromptResponse("a", "b") }));
    }

    private static double ScoreOne(TextPairScorer scorer, string prompt, string response) =>
        scorer.Score(new[] { new PromptResponse(prompt, response) })[0];

    private TextPairScorer TrainSynthetic(
        TextPairScorerOptions options,
        IProgress<TextPairScorerProgress>? progress = null,
        IReadOnlyList<ScoredPair>? examples = null,
        CancellationToken cancellationToken = default) =>
        TextPairScorer.Train(
            "reflection",
            _fixture.Tokenizer,
            examples ?? _fixture.Training,
            options,
            progress,
            logger: null,
            cancellationToken);

    /// <summary>
    /// Measures the header of a scorer file in bytes: magic string, format version, name, six int and
    /// six double options, tokenizer vocabulary size, seen-token count and the seen token ids. This
    /// mirrors the layout that <see cref="TextPairScorer.Save"/> writes.
    /// </summary>
    private static int HeaderLength(byte[] file)
    {
        using var stream = new MemoryStream(file);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8);
        reader.ReadString(); // magic
        reader.ReadInt32(); // format version
        reader.ReadString(); // name
        stream.Position += (6 * sizeof(int)) + (6 * sizeof(double)); // options
        reader.ReadInt32(); // tokenizer vocabulary size
        int seenCount = reader.ReadInt32();
        return (int)stream.Position + (seenCount * sizeof(int));
    }

    private sealed class RecordingProgress : IProgress<TextPairScorerProgress>
    {
        public List<TextPairScorerProgress> Reports { get; } = new();

        public void Report(TextPairScorerProgress value) => Reports.Add(value);
    }
}
