using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Aggregation;
using Emorl.Checkpoints;
using Emorl.Data;
using Emorl.Evaluation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Search;
using Emorl.Tokenization;
using Emorl.Training;

namespace CounselorReflection;

/// <summary>
/// Trains and evaluates EMORL's baselines next to a finished EMORL run. Uniform Weighted and
/// DynaOpt each train one adapter on all three rewards with the run's RL algorithm (k-SCST by
/// default). Model Soups merges the EMORL objective adapters into one model, with merge weights
/// from the same hierarchical grid search.
/// </summary>
/// <remarks>
/// Every method is decoded greedily on the test split, as EMORL is, so the comparison uses one
/// decoding setting. All methods use LoRA adapters of the same size on the same frozen base.
/// </remarks>
internal sealed class BaselineRun
{
    private readonly SampleOptions _options;
    private readonly CancellationToken _cancellationToken;
    private readonly Action<string> _stage;

    public BaselineRun(SampleOptions options, Action<string> stage, CancellationToken cancellationToken)
    {
        _options = options;
        _cancellationToken = cancellationToken;
        _stage = stage;
    }

    /// <summary>Runs the baselines and returns every method's row, EMORL's taken from the finished run.</summary>
    public BaselineComparisonReport Run(
        AdaptableLanguageModel baseModel,
        PromptTemplate template,
        IReadOnlyList<IRewardModel> rewards,
        DatasetSplit<PairRecord> split,
        IReadOnlyList<LoraObjectiveModel> objectives,
        IReadOnlyDictionary<string, TrainingReport> objectiveTraining,
        IReadOnlyList<ModelReport> models,
        SearchReport emorlSearch)
    {
        var testEvaluator = new ObjectiveEvaluator(template, rewards, split.Test.Select(r => r.Prompt).ToArray());
        int emorlPoints = objectiveTraining.Values.Sum(t => t.DataPoints);
        double emorlSeconds = objectiveTraining.Values.Sum(t => t.Seconds);
        var baseRow = models.Single(m => m.Name == "base");
        var emorlRow = models.Single(m => m.Name == "emorl");
        var methods = new List<MethodReport>
        {
            new("base", null, baseRow.TestScores, baseRow.TestMean, baseRow.Distinct2, 0, 0, 0),
            new("emorl", emorlRow.Weights, emorlRow.TestScores, emorlRow.TestMean, emorlRow.Distinct2, emorlPoints, emorlSeconds, emorlSearch.Seconds),
        };

        var training = new Dictionary<string, TrainingReport>(StringComparer.Ordinal);
        var presets = new (string Name, RewardWeighting Weighting)[]
        {
            ("uniform_weighted", RewardWeighting.Fixed),
            ("dynaopt", RewardWeighting.DynaOpt),
        };
        for (int i = 0; i < presets.Length; i++)
        {
            var (name, weighting) = presets[i];
            var options = _options.CreateTrainerOptions(_options.BaselineSteps, _options.Seed * 100 + 50 + i);
            options.RewardWeighting = weighting;
            var (method, report) = TrainSinglePolicy(name, options, baseModel, template, rewards, split, testEvaluator);
            methods.Add(method);
            training[name] = report;
        }

        var (soups, soupsSearch) = RunModelSoups(baseModel, template, rewards, split, objectives, testEvaluator, emorlPoints, emorlSeconds);
        methods.Add(soups);
        return new BaselineComparisonReport(methods, soupsSearch, training, _options.BaselineSteps);
    }

    private (MethodReport Method, TrainingReport Report) TrainSinglePolicy(
        string name,
        PolicyTrainerOptions options,
        AdaptableLanguageModel baseModel,
        PromptTemplate template,
        IReadOnlyList<IRewardModel> rewards,
        DatasetSplit<PairRecord> split,
        ObjectiveEvaluator testEvaluator)
    {
        using var adapter = LoraAdapter.Create(baseModel, new LoraOptions(), options.Seed);
        using var model = new LoraObjectiveModel(name, baseModel, adapter, ownsAdapter: false);
        var reward = new CompositeRewardModel(name, rewards);
        _stage($"Baseline '{name}': {options.Algorithm} on [{string.Join(", ", reward.Objectives)}] with {options.RewardWeighting} weights, "
            + $"at most {options.MaxSteps} steps of {options.PromptsPerStep} prompts × {options.SamplesPerPrompt} samples");
        TrainingReport report;
        using (var trainer = new PolicyTrainer(model, reward, template, options))
        {
            var result = trainer.Train(split.Train.Select(r => r.Prompt).ToArray(), split.Validation.Select(r => r.Prompt).ToArray(),
                new ConsoleProgress<TrainingProgress>(
                    p => $"{p.Stage} step {p.Step}/{p.TotalSteps}, validation score {(p.Value is null ? "-" : p.Value.Value.ToString("F3", CultureInfo.InvariantCulture))}",
                    p => p.Step == p.TotalSteps),
                _cancellationToken);
            int[] validationSteps = Enumerable.Range(1, result.Steps)
                .Where(s => s % options.ValidationInterval == 0 || s == options.MaxSteps)
                .ToArray();
            report = new TrainingReport(result.DataPoints, result.Seconds, result.Steps, result.Converged, result.ValidationScores,
                result.StepMetrics.Count == 0 ? 0 : result.StepMetrics[^1].Kl, validationSteps, result.StepMetrics.Select(m => m.ScoreMean).ToArray());
            _stage(string.Create(CultureInfo.InvariantCulture,
                $"  {result.Steps} steps, {result.DataPoints} data points, {result.Seconds:F0} s, converged: {result.Converged}, "
                + $"final weights ({string.Join(", ", trainer.ObjectiveWeights.Select(w => w.ToString("0.###", CultureInfo.InvariantCulture)))})"));
        }

        ModelCheckpoint.SaveAdapter(adapter, baseModel, Path.Combine(_options.OutputDirectory, "adapters", name), cancellationToken: _cancellationToken);
        var greedy = GenerationOptions.CreateGreedy(_options.MaxNewTokens);
        greedy.VocabularyLimit = template.Tokenizer.VocabularySize;
        int eos = template.Tokenizer.EndOfTextId;
        var test = testEvaluator.Evaluate(p => model.Generate(p, eos, greedy, cancellationToken: _cancellationToken), _cancellationToken);
        PrintScores(name, test);
        return (new MethodReport(name, null, test.Scores, test.Mean, test.DistinctTwo, report.DataPoints, report.Seconds, 0), report);
    }

    private (MethodReport Method, SearchReport Search) RunModelSoups(
        AdaptableLanguageModel baseModel,
        PromptTemplate template,
        IReadOnlyList<IRewardModel> rewards,
        DatasetSplit<PairRecord> split,
        IReadOnlyList<LoraObjectiveModel> objectives,
        ObjectiveEvaluator testEvaluator,
        int dataPoints,
        double trainingSeconds)
    {
        var clock = Stopwatch.StartNew();
        using var soups = new ParameterAggregation(baseModel, objectives.Select(o => o.Adapter!).ToArray());
        var validation = new ObjectiveEvaluator(template, rewards, split.Validation.Select(r => r.Prompt).ToArray());
        var greedy = GenerationOptions.CreateGreedy(_options.MaxNewTokens);
        greedy.VocabularyLimit = template.Tokenizer.VocabularySize;
        int eos = template.Tokenizer.EndOfTextId;
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = _options.SearchLevels });
        _stage($"Baseline 'model_soups': W + Σ w_k (alpha/r) B_k A_k of the {objectives.Count} objective adapters, "
            + $"weights by a {_options.SearchLevels}-level grid search on the validation mean");
        var result = search.Search(
            soups.Count,
            (weights, token) => validation.Evaluate(p => soups.Generate(p, weights, eos, greedy, cancellationToken: token), token).Mean,
            new ConsoleProgress<GridSearchProgress>(
                p => $"level {p.Level}/{p.Levels}, {p.Evaluations}/{p.TotalEvaluations} points, best {ProgressBars.FormatBest(p.BestScore)}",
                p => p.Evaluations == p.TotalEvaluations),
            _cancellationToken);
        double searchSeconds = clock.Elapsed.TotalSeconds;
        _stage(string.Create(CultureInfo.InvariantCulture,
            $"  best weights ({string.Join(", ", result.BestWeights.Select(w => w.ToString("0.#####", CultureInfo.InvariantCulture)))}), "
            + $"validation mean {result.BestScore:F3}, {searchSeconds:F0} s"));

        var test = testEvaluator.Evaluate(p => soups.Generate(p, result.BestWeights, eos, greedy, cancellationToken: _cancellationToken), _cancellationToken);
        PrintScores("model_soups", test);
        var history = result.History.Where(h => !h.Skipped).Select(h => new SearchPointReport(h.Weights, h.Score, h.Level, h.FromCache)).ToArray();
        var searchReport = new SearchReport(result.Evaluations, result.DistinctPoints, result.ExhaustiveGridSize,
            _options.SearchLevels, result.BestWeights, result.BestScore, searchSeconds, history);
        var method = new MethodReport("model_soups", result.BestWeights, test.Scores, test.Mean, test.DistinctTwo, dataPoints, trainingSeconds, searchSeconds);
        return (method, searchReport);
    }

    private void PrintScores(string name, EvaluationResult result) =>
        _stage($"  {name,-16} " + string.Join("  ", result.Scores.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value:F3}")))
            + string.Create(CultureInfo.InvariantCulture, $"  mean {result.Mean:F3}  Distinct-2 {result.DistinctTwo:F3}"));
}
