using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Emorl.Data;
using Emorl.Rewards;
using Xunit.Abstractions;

namespace Emorl.Tests.Rewards;

/// <summary>
/// Trains scorers on the real PAIR and EPITOME data when the shared data folder is present, and
/// reports held-out quality. Each test returns early with a printed message when the data is absent.
/// </summary>
[Collection("Torch")]
public sealed class RealDataScorerTests
{
    private const int SplitSeed = 20240;

    private readonly ITestOutputHelper _output;

    public RealDataScorerTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void ReflectionScorerRanksHeldOutPair()
    {
        string? file = FindDataFile("pair", "pair_data.csv");
        if (file is null)
        {
            return;
        }

        List<ScoredPair> examples = ReadPair(file);
        var (training, heldOut) = SplitByPrompt(examples);
        var tokenizer = new WordLevelTokenizer(training.SelectMany(e => new[] { e.Pair.Prompt, e.Pair.Response }));

        var stopwatch = Stopwatch.StartNew();
        using TextPairScorer scorer = TextPairScorer.Train("reflection", tokenizer, training, new());
        stopwatch.Stop();
        List<ScoredPair> highAndLow = heldOut.Where(e => e.Target is 1.0 or 0.0).ToList();
        double highOverLow = RewardMetrics.PairwiseRankingAccuracy(highAndLow, ScoreAll(scorer, highAndLow));
        double allLevels = RewardMetrics.PairwiseRankingAccuracy(heldOut, ScoreAll(scorer, heldOut));
        _output.WriteLine(string.Format(
            CultureInfo.InvariantCulture,
            "PAIR: trained on {0} pairs in {1:F1} s; held-out ({2} pairs) hq-over-lq accuracy {3:F3}, "
                + "all-level ranking accuracy {4:F3}",
            training.Count,
            stopwatch.Elapsed.TotalSeconds,
            heldOut.Count,
            highOverLow,
            allLevels));

        Assert.True(highOverLow > 0.7, $"Held-out hq-over-lq accuracy {highOverLow:F3} is not above 0.7.");
    }

    [Fact]
    public void EmpathyScorerCorrelatesOnEpitome()
    {
        string? folder = FindDataFile("epitome", "emotional-reactions-reddit.csv");
        if (folder is null)
        {
            return;
        }

        List<ScoredPair> examples = ReadEpitome(Path.GetDirectoryName(folder)!);
        var (training, heldOut) = SplitByPrompt(examples);
        var tokenizer = new WordLevelTokenizer(training.SelectMany(e => new[] { e.Pair.Prompt, e.Pair.Response }));

        var stopwatch = Stopwatch.StartNew();
        using TextPairScorer scorer = TextPairScorer.Train("empathy", tokenizer, training, new());
        stopwatch.Stop();
        IReadOnlyList<double> scores = ScoreAll(scorer, heldOut);
        double[] targets = heldOut.Select(e => e.Target).ToArray();
        double pearson = RewardMetrics.PearsonCorrelation(scores, targets);
        double error = RewardMetrics.MeanAbsoluteError(scores, targets);
        _output.WriteLine(string.Format(
            CultureInfo.InvariantCulture,
            "EPITOME: trained on {0} pairs in {1:F1} s; held-out ({2} pairs) Pearson {3:F3}, MAE {4:F3}",
            training.Count,
            stopwatch.Elapsed.TotalSeconds,
            heldOut.Count,
            pearson,
            error));

        Assert.True(pearson > 0.3, $"Held-out Pearson correlation {pearson:F3} is not above 0.3.");
    }

    private static IReadOnlyList<double> ScoreAll(TextPairScorer scorer, List<ScoredPair> examples) =>
        scorer.Score(examples.Select(e => e.Pair).ToArray());

    private string? FindDataFile(string subfolder, string fileName)
    {
        string relative = Path.Combine(subfolder, fileName);
        string? path = Emorl.Tests.Data.SharedData.FindFile(relative);
        if (path is null)
        {
            _output.WriteLine(Emorl.Tests.Data.SharedData.SkipMessage(relative));
        }

        return path;
    }

    /// <summary>Reads PAIR with the library's loader: high-quality responses target 1, medium 0.5, low 0.</summary>
    private static List<ScoredPair> ReadPair(string path) =>
        PairDatasetLoader.Load(path).Records
            .SelectMany(r => r.GetGradedResponses().Select(g => new ScoredPair(new PromptResponse(r.Prompt, g.Text), (int)g.Level / 2.0)))
            .ToList();

    /// <summary>Reads EPITOME with the library's loader; the target is the sum of the three levels over 6.</summary>
    private static List<ScoredPair> ReadEpitome(string folder) =>
        EpitomeLoader.LoadFolder(folder).Records
            .Select(r => new ScoredPair(new PromptResponse(r.SeekerPost, r.ResponsePost), r.Score))
            .ToList();

    /// <summary>Splits 80/20 by distinct prompt with a fixed seed, so held-out prompts are unseen.</summary>
    private static (List<ScoredPair> Training, List<ScoredPair> HeldOut) SplitByPrompt(List<ScoredPair> examples)
    {
        string[] prompts = examples.Select(e => e.Pair.Prompt).Distinct(StringComparer.Ordinal).ToArray();
        new Random(SplitSeed).Shuffle(prompts);
        var trainingPrompts = new HashSet<string>(prompts.Take((int)(prompts.Length * 0.8)), StringComparer.Ordinal);
        return (
            examples.Where(e => trainingPrompts.Contains(e.Pair.Prompt)).ToList(),
            examples.Where(e => !trainingPrompts.Contains(e.Pair.Prompt)).ToList());
    }
}
