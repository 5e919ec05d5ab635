using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
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
        string? folder = SharedData.FindFolder();
        string? path = folder is null ? null : Path.Combine(folder, subfolder, fileName);
        if (path is null || !File.Exists(path))
        {
            _output.WriteLine(
                $"Skipped: {subfolder}/{fileName} was not found; set EMORL_DATA_DIR to the research data folder "
                + "to run this test.");
            return null;
        }

        return path;
    }

    /// <summary>Reads PAIR rows: prompt, hq1, hq2, mq1, lq1..lq5 with targets 1, 0.5 and 0.</summary>
    private static List<ScoredPair> ReadPair(string path)
    {
        double[] targets = { 1.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0 };
        var examples = new List<ScoredPair>();
        foreach (string[] row in CsvReader.Parse(File.ReadAllText(path)).Skip(1).Where(r => r.Length >= 9))
        {
            string prompt = row[0].Trim();
            for (int column = 1; column < 9; column++)
            {
                string response = row[column].Trim();
                if (prompt.Length > 0 && response.Length > 0)
                {
                    examples.Add(new ScoredPair(new PromptResponse(prompt, response), targets[column - 1]));
                }
            }
        }

        return examples;
    }

    /// <summary>
    /// Joins the three EPITOME files on (sp_id, rp_id); the target is the sum of the three levels over 6.
    /// </summary>
    private static List<ScoredPair> ReadEpitome(string folder)
    {
        string[] files = { "emotional-reactions-reddit.csv", "interpretations-reddit.csv", "explorations-reddit.csv" };
        var levels = new Dictionary<(string, string), (string Seeker, string Response, int Sum, int Count)>();
        foreach (string file in files)
        {
            List<string[]> rows = CsvReader.Parse(File.ReadAllText(Path.Combine(folder, file)));
            foreach (string[] row in rows.Skip(1).Where(r => r.Length >= 5))
            {
                var key = (row[0], row[1]);
                int level = int.Parse(row[4], CultureInfo.InvariantCulture);
                levels[key] = levels.TryGetValue(key, out var entry)
                    ? (entry.Seeker, entry.Response, entry.Sum + level, entry.Count + 1)
                    : (row[2], row[3], level, 1);
            }
        }

        return levels.Values
            .Where(v => v.Count == files.Length)
            .Select(v => new ScoredPair(new PromptResponse(v.Seeker, v.Response), v.Sum / 6.0))
            .ToList();
    }

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
