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
using Emorl.Models.T5;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Search;
using Emorl.Tokenization;
using Emorl.Training;
using static TorchSharp.torch;

namespace CounselorReflection;

/// <summary>
/// The whole EMORL pipeline on counselor reflections: warm-up, reward models, one adapter per
/// objective, weight search, and a test-split comparison, composed from the library's public types.
/// </summary>
internal sealed class CounselorRun
{
    /// <summary>The longest encoded prompt; the generate command builds the same template.</summary>
    internal const int PromptTokens = 96;

    /// <summary>The longest encoded reference response of the warm-up.</summary>
    internal const int ResponseTokens = 64;
    private readonly SampleOptions _options;
    private readonly CancellationToken _cancellationToken;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    // Writes the base model's tokenizer into base/. It runs only after the model is saved, so a run that
    // fails or is cancelled earlier leaves an earlier run's model and tokenizer together.
    private Action? _saveTokenizer;

    public CounselorRun(SampleOptions options, CancellationToken cancellationToken)
    {
        _options = options;
        _cancellationToken = cancellationToken;
    }

    public RunReport Run()
    {
        manual_seed(_options.Seed);
        var (dataset, datasetName) = SampleData.LoadReflections(_options);
        const int MinimumStatements = 10;
        int usable = dataset.Records.Count(r => r.HighQuality.Count > 0);
        if (usable < MinimumStatements)
        {
            throw new InvalidOperationException(
                $"{datasetName} has {usable} statements with a high-quality response (after {dataset.DuplicatePromptCount} duplicates " +
                $"were dropped); a run needs at least {MinimumStatements} for its 80/10/10 split. Add statements to the file.");
        }

        var split = DatasetSplitter.Split(dataset.Records.Where(r => r.HighQuality.Count > 0).ToArray(), _options.Seed);
        Stage($"Data: {datasetName}, {dataset.Records.Count} statements ({dataset.DuplicatePromptCount} duplicates dropped), "
            + $"split {split.Train.Count}/{split.Validation.Count}/{split.Test.Count}");

        var annoMi = SampleData.LoadAnnoMi(_options);
        var warmupPairs = split.Train.SelectMany(r => r.HighQuality.Select(h => (r.Prompt, h)))
            .Concat(annoMi.Select(p => (p.ClientUtterance, p.Reflection)))
            .ToArray();
        var gpt2 = new Gpt2Tokenizer();
        Directory.CreateDirectory(_options.OutputDirectory);
        RemoveEarlierReport();
        Directory.CreateDirectory(Path.Combine(_options.OutputDirectory, "base"));
        var (created, tokenizer) = _options.BaseModelDirectory is null
            ? CreateBase(gpt2, split, annoMi)
            : LoadBase(_options.BaseModelDirectory);
        using var baseModel = created;
        var template = CreateTemplate(tokenizer, baseModel);
        var warmup = _options.WarmupSteps > 0
            ? Warmup(baseModel, template, warmupPairs, split)
            : MeasureBase(baseModel, template, split);

        var (rewards, scorerReports) = BuildRewards(gpt2, baseModel, template, split, warmup);
        try
        {
            return TrainSearchAndEvaluate(baseModel, template, rewards, scorerReports, split, datasetName, warmup, warmupPairs.Length, tokenizer.VocabularySize);
        }
        finally
        {
            foreach (var reward in rewards.OfType<IDisposable>())
            {
                reward.Dispose();
            }
        }
    }

    private RunReport TrainSearchAndEvaluate(
        AdaptableLanguageModel baseModel, PromptTemplate template, IReadOnlyList<IRewardModel> rewards, Dictionary<string, ScorerReport> scorerReports,
        DatasetSplit<PairRecord> split, string datasetName, WarmupResult warmup, int warmupPairs, int vocabularySize)
    {
        var objectives = new List<LoraObjectiveModel>();
        try
        {
            var training = new Dictionary<string, TrainingReport>(StringComparer.Ordinal);
            foreach (var reward in rewards)
            {
                var (model, report) = TrainObjective(baseModel, template, reward, split, objectives.Count);
                objectives.Add(model);
                training[reward.Name] = report;
            }

            var aggregator = new HiddenStateAggregator(objectives);
            var (search, searchReport) = SearchWeights(aggregator, template, rewards, split);
            var (models, examples) = EvaluateOnTest(baseModel, objectives, aggregator, template, rewards, split, search.BestWeights);
            var baselines = _options.Baselines
                ? new BaselineRun(_options, Stage, _cancellationToken).Run(baseModel, template, rewards, split, objectives, training, models, searchReport)
                : null;
            return new RunReport(
                datasetName, _options.Seed, rewards.Select(r => r.Name).ToArray(), scorerReports, models, searchReport, training,
                new WarmupReport(warmupPairs, warmup.Steps, warmup.Seconds, warmup.Losses[0], warmup.Losses.TakeLast(20).Average(),
                    warmup.ValidationPerplexity, vocabularySize, baseModel.parameters().Sum(p => p.numel()), warmup.Losses),
                new SplitReport(split.Train.Count, split.Validation.Count, split.Test.Count),
                Machine(), _clock.Elapsed.TotalSeconds, examples, _options.MaxNewTokens)
            {
                Baselines = baselines,
                Algorithm = _options.Algorithm.ToString(),
                Architecture = baseModel.Architecture,
            };
        }
        finally
        {
            foreach (var objective in objectives)
            {
                objective.Dispose();
            }
        }
    }

    private (AdaptableLanguageModel Model, ITextTokenizer Tokenizer) CreateBase(
        Gpt2Tokenizer gpt2, DatasetSplit<PairRecord> split, IReadOnlyList<ClientReflectionPair> annoMi)
    {
        var tokenizer = CompactVocabularyTokenizer.FromCorpus(gpt2, split.Train.SelectMany(r => r.GetGradedResponses().Select(g => g.Text).Prepend(r.Prompt))
            .Concat(annoMi.SelectMany(p => new[] { p.ClientUtterance, p.Reflection })));
        _saveTokenizer = () => tokenizer.Save(Path.Combine(_options.OutputDirectory, "base", BaseModelFiles.CompactVocabularyFileName));
        AdaptableLanguageModel model = _options.Architecture == "t5"
            ? new T5Model(T5ModelOptions(tokenizer), _options.Seed)
            : new Gpt2Model(ModelOptions(tokenizer), _options.Seed);
        return (model, tokenizer);
    }

    /// <summary>
    /// Loads the user's GPT-2 or T5 checkpoint and its tokenizer, and sets the tokenizer to be copied
    /// into the run's base folder once the model is saved.
    /// </summary>
    private (AdaptableLanguageModel Model, ITextTokenizer Tokenizer) LoadBase(string directory)
    {
        var tokenizer = BaseModelFiles.LoadTokenizer(directory);
        var model = ModelCheckpoint.LoadModel(directory);
        int needed = PromptTokens + Math.Max(ResponseTokens, _options.MaxNewTokens);
        string? problem = model.ContextLength < needed
            ? $"its context of {model.ContextLength} tokens is shorter than the {needed} a run needs (prompt {PromptTokens} + response); lower --max-new-tokens or use a checkpoint with a longer n_positions"
            : model.VocabularySize < tokenizer.VocabularySize
                ? $"its vocab_size {model.VocabularySize} is smaller than its tokenizer's {tokenizer.VocabularySize} ids; use the tokenizer saved with the checkpoint"
                : null;
        if (problem is not null)
        {
            model.Dispose();
            throw new InvalidOperationException($"--base-model '{directory}' cannot be used: {problem}.");
        }

        _saveTokenizer = () => BaseModelFiles.CopyTokenizer(tokenizer, directory, Path.Combine(_options.OutputDirectory, "base"));
        Stage($"Base model: {directory}, {model.Architecture}, hidden size {model.HiddenSize}, "
            + $"{model.parameters().Sum(p => p.numel()):N0} parameters, vocabulary {tokenizer.VocabularySize} tokens");
        return (model, tokenizer);
    }

    /// <summary>Measures the loaded base model's perplexity on validation reflections when no warm-up runs.</summary>
    private WarmupResult MeasureBase(AdaptableLanguageModel model, PromptTemplate template, DatasetSplit<PairRecord> split)
    {
        var clock = Stopwatch.StartNew();
        model.eval();
        var validation = split.Validation.SelectMany(r => r.HighQuality.Select(h => (r.Prompt, h))).ToArray();
        double loss = SupervisedWarmup.ResponseLoss(model, template, validation);
        SaveBase(model);
        Stage($"No warm-up: validation perplexity of reference reflections under the base model {Math.Exp(loss):F1}");

        // With no training steps, the report's warm-up losses are this one validation loss.
        return new WarmupResult(0, clock.Elapsed.TotalSeconds, [loss], loss, Math.Exp(loss));
    }

    private Gpt2Options ModelOptions(CompactVocabularyTokenizer tokenizer) => new()
    {
        VocabularySize = tokenizer.VocabularySize,
        ContextLength = PromptTokens + Math.Max(ResponseTokens, _options.MaxNewTokens),
        LayerCount = _options.Layers,
        HiddenSize = _options.Hidden,
        HeadCount = _options.Heads,
        Dropout = 0.1,
    };

    /// <summary>
    /// An encoder-decoder of the same width, depth (in each stack) and heads. The decoder starts
    /// from end-of-text, as BART's does, because the compact vocabulary has no padding token.
    /// </summary>
    private T5Options T5ModelOptions(CompactVocabularyTokenizer tokenizer) => new()
    {
        VocabularySize = tokenizer.VocabularySize,
        ModelSize = _options.Hidden,
        KeyValueSize = _options.Hidden / _options.Heads,
        FeedForwardSize = 4 * _options.Hidden,
        EncoderLayerCount = _options.Layers,
        DecoderLayerCount = _options.Layers,
        HeadCount = _options.Heads,
        Dropout = 0.1,
        DecoderStartTokenId = tokenizer.EndOfTextId,
        EndOfSequenceId = tokenizer.EndOfTextId,
        PaddingId = tokenizer.EndOfTextId,
    };

    private WarmupResult Warmup(AdaptableLanguageModel model, PromptTemplate template, (string, string)[] pairs, DatasetSplit<PairRecord> split)
    {
        Stage($"Warm-up: {pairs.Length} (statement, reflection) pairs, {_options.WarmupSteps} steps, "
            + $"{model.parameters().Sum(p => p.numel()):N0} parameters");
        var warmup = new SupervisedWarmup(new WarmupOptions { Steps = _options.WarmupSteps, Seed = _options.Seed });
        var validation = split.Validation.SelectMany(r => r.HighQuality.Select(h => (r.Prompt, h))).ToArray();
        var result = ProgressBars.Run(
            "warm-up",
            _options.WarmupSteps,
            bar => warmup.Train(model, template, pairs, validation,
                new SyncProgress<TrainingProgress>(p => bar.Report((p.Step, Invariant($"loss {p.Value:F3}")))), _cancellationToken),
            r => Invariant($"final loss {r.Losses[^1]:F3}"));
        SaveBase(model);
        Stage($"Warm-up done in {result.Seconds:F0} s: validation perplexity of reference reflections {result.ValidationPerplexity:F1}");
        return result;
    }

    /// <summary>Saves the base model and then its tokenizer into the run's base/ folder.</summary>
    private void SaveBase(AdaptableLanguageModel model)
    {
        // NOTE: the two writes are not one atomic replacement, so a process killed between them leaves
        // the new model beside the previous run's tokenizer.
        ModelCheckpoint.SaveModel(model, Path.Combine(_options.OutputDirectory, "base"), cancellationToken: _cancellationToken);
        _saveTokenizer?.Invoke();
    }

    private (IReadOnlyList<IRewardModel> Rewards, Dictionary<string, ScorerReport> Reports) BuildRewards(
        Gpt2Tokenizer gpt2, AdaptableLanguageModel baseModel, PromptTemplate template, DatasetSplit<PairRecord> split, WarmupResult warmup)
    {
        var reports = new Dictionary<string, ScorerReport>(StringComparer.Ordinal);
        var scorerOptions = new TextPairScorerOptions { Epochs = _options.ScorerEpochs, Seed = _options.Seed };

        Stage("Reward model 'reflection': trained on graded responses of the training split (high 1, medium 0.5, low 0)");
        var reflectionExamples = split.Train.SelectMany(Graded).ToArray();
        var reflection = TextPairScorer.Train("reflection", gpt2, reflectionExamples, scorerOptions, cancellationToken: _cancellationToken);
        var heldOut = split.Test.SelectMany(Graded).Where(e => e.Target != 0.5).ToArray();
        double ranking = RewardMetrics.PairwiseRankingAccuracy(heldOut, reflection.Score(heldOut.Select(e => e.Pair).ToArray()));
        reports["reflection"] = new ScorerReport("pairwise_ranking_accuracy_hq_over_lq_test", ranking, reflectionExamples.Length, heldOut.Length, "training split");
        Stage($"  held-out ranking accuracy (high over low, test statements): {ranking:F3}");

        var (empathyRecords, empathySource) = SampleData.LoadEmpathy(_options);
        var empathySplit = DatasetSplitter.Split(empathyRecords, _options.Seed, new DatasetSplitOptions { TrainFraction = 0.8, ValidationFraction = 0, TestFraction = 0.2 });
        Stage($"Reward model 'empathy': trained on {empathySplit.Train.Count} rows of {empathySource}, {empathySplit.Test.Count} held out");
        var empathyExamples = empathySplit.Train.Select(ToScored).ToArray();
        var empathy = TextPairScorer.Train("empathy", gpt2, empathyExamples, scorerOptions, cancellationToken: _cancellationToken);
        var empathyHeldOut = empathySplit.Test.Select(ToScored).ToArray();
        double correlation = RewardMetrics.PearsonCorrelation(
            empathy.Score(empathyHeldOut.Select(e => e.Pair).ToArray()), empathyHeldOut.Select(e => e.Target).ToArray());
        reports["empathy"] = new ScorerReport("pearson_correlation_heldout", correlation, empathyExamples.Length, empathyHeldOut.Length, empathySource);
        Stage($"  held-out Pearson correlation: {correlation:F3}");

        // A model trained from scratch has a far higher perplexity than GPT-2, so the ceiling of the
        // (C − PPL) / C mapping scales with the warm-up model's own perplexity on reference text.
        double ceiling = Math.Max(50, 2 * warmup.ValidationPerplexity);
        var fluency = new PerplexityFluencyReward(baseModel, template, ceiling);
        var references = split.Test.Select(r => new PromptResponse(r.Prompt, r.HighQuality[0])).ToArray();
        double referenceFluency = fluency.Score(references).Average();
        reports["fluency"] = new ScorerReport("mean_score_of_test_references", referenceFluency, 0, references.Length,
            string.Create(CultureInfo.InvariantCulture, $"warm-up model perplexity, ceiling {ceiling:F1}"));
        Stage($"Reward model 'fluency': (C − perplexity) / C under the frozen warm-up model, C = {ceiling:F1}; reference reflections score {referenceFluency:F3}");
        return ([reflection, empathy, fluency], reports);
    }

    private (LoraObjectiveModel Model, TrainingReport Report) TrainObjective(
        AdaptableLanguageModel baseModel, PromptTemplate template, IRewardModel reward, DatasetSplit<PairRecord> split, int index)
    {
        var options = _options.CreateTrainerOptions(_options.RlSteps, _options.Seed * 100 + index);
        var adapter = LoraAdapter.Create(baseModel, new LoraOptions(), _options.Seed * 100 + index);
        var model = new LoraObjectiveModel(reward.Name, baseModel, adapter);
        Stage($"Objective '{reward.Name}': {options.Algorithm}, at most {options.MaxSteps} steps of {options.PromptsPerStep} prompts × {options.SamplesPerPrompt} samples, "
            + $"{adapter.ParameterCount:N0} LoRA parameters");
        using var trainer = new PolicyTrainer(model, reward, template, options);
        var result = ProgressBars.Run(
            $"objective {reward.Name}",
            options.MaxSteps,
            bar => trainer.Train(split.Train.Select(r => r.Prompt).ToArray(), split.Validation.Select(r => r.Prompt).ToArray(),
                new SyncProgress<TrainingProgress>(p => bar.Report((p.Step, p.Value is null ? "" : Invariant($"validation {p.Value:F3}")))),
                _cancellationToken),
            r => Invariant($"{r.Steps} steps") + (r.ValidationScores.Count > 0 ? Invariant($", validation score {r.ValidationScores[^1]:F3}") : ""));
        ModelCheckpoint.SaveAdapter(adapter, baseModel, Path.Combine(_options.OutputDirectory, "adapters", reward.Name), cancellationToken: _cancellationToken);
        Stage($"  {result.Steps} steps, {result.DataPoints} data points, {result.Seconds:F0} s, converged: {result.Converged}");
        // PolicyTrainer validates after every ValidationInterval-th step and after the last budgeted step.
        int[] validationSteps = Enumerable.Range(1, result.Steps)
            .Where(s => s % options.ValidationInterval == 0 || s == options.MaxSteps)
            .ToArray();
        return (model, new TrainingReport(result.DataPoints, result.Seconds, result.Steps, result.Converged, result.ValidationScores,
            result.StepMetrics.Count == 0 ? 0 : result.StepMetrics[^1].Kl, validationSteps, result.StepMetrics.Select(m => m.ScoreMean).ToArray()));
    }

    private (GridSearchResult Result, SearchReport Report) SearchWeights(
        HiddenStateAggregator aggregator, PromptTemplate template, IReadOnlyList<IRewardModel> rewards, DatasetSplit<PairRecord> split)
    {
        var clock = Stopwatch.StartNew();
        var evaluator = new ObjectiveEvaluator(template, rewards, split.Validation.Select(r => r.Prompt).ToArray());
        var greedy = GenerationOptions.CreateGreedy(_options.MaxNewTokens);
        greedy.VocabularyLimit = template.Tokenizer.VocabularySize;
        int eos = template.Tokenizer.EndOfTextId;
        var search = new HierarchicalGridSearch(new HierarchicalGridSearchOptions { Levels = _options.SearchLevels });
        Stage($"Weight search: {_options.SearchLevels} levels over [0,1]^{aggregator.Count}, scored by the mean validation reward");
        var result = ProgressBars.Run(
            "weight search",
            HierarchicalGridSearch.CountEvaluations(aggregator.Count, _options.SearchLevels),
            bar => search.Search(
                aggregator.Count,
                (weights, token) => evaluator.Evaluate(prompts => aggregator.Generate(prompts, weights, eos, greedy, cancellationToken: token), token).Mean,
                new SyncProgress<GridSearchProgress>(p => bar.Report((p.Evaluations, Invariant($"level {p.Level}/{p.Levels}, best {ProgressBars.FormatBest(p.BestScore)}")))),
                _cancellationToken),
            r => Invariant($"{r.DistinctPoints - r.SkippedPoints} points scored, best {r.BestScore:F3}"));
        Stage($"  best weights ({string.Join(", ", result.BestWeights.Select(w => w.ToString("0.#####", CultureInfo.InvariantCulture)))}), validation mean {result.BestScore:F3}, "
            + $"{result.DistinctPoints - result.SkippedPoints} points scored in {clock.Elapsed.TotalSeconds:F0} s");
        var history = result.History.Where(h => !h.Skipped).Select(h => new SearchPointReport(h.Weights, h.Score, h.Level, h.FromCache)).ToArray();
        return (result, new SearchReport(result.Evaluations, result.DistinctPoints, result.ExhaustiveGridSize,
            _options.SearchLevels, result.BestWeights, result.BestScore, clock.Elapsed.TotalSeconds, history));
    }

    private (IReadOnlyList<ModelReport> Models, IReadOnlyList<ExampleReport> Examples) EvaluateOnTest(
        AdaptableLanguageModel baseModel, List<LoraObjectiveModel> objectives, HiddenStateAggregator aggregator, PromptTemplate template,
        IReadOnlyList<IRewardModel> rewards, DatasetSplit<PairRecord> split, IReadOnlyList<double> bestWeights)
    {
        Stage($"Test evaluation on {split.Test.Count} statements, greedy decoding");
        var evaluator = new ObjectiveEvaluator(template, rewards, split.Test.Select(r => r.Prompt).ToArray());
        var greedy = GenerationOptions.CreateGreedy(_options.MaxNewTokens);
        greedy.VocabularyLimit = template.Tokenizer.VocabularySize;
        int eos = template.Tokenizer.EndOfTextId;
        double[] uniform = Enumerable.Repeat(1.0 / objectives.Count, objectives.Count).ToArray();
        var candidates = new List<(string Name, IReadOnlyList<double>? Weights, Func<IReadOnlyList<IReadOnlyList<int>>, IReadOnlyList<int[]>> Generate)>
        {
            ("base", null, p => new LoraObjectiveModel("base", baseModel, null).Generate(p, eos, greedy, cancellationToken: _cancellationToken)),
        };
        candidates.AddRange(objectives.Select(o => (o.Name, (IReadOnlyList<double>?)null,
            (Func<IReadOnlyList<IReadOnlyList<int>>, IReadOnlyList<int[]>>)(p => o.Generate(p, eos, greedy, cancellationToken: _cancellationToken)))));
        candidates.Add(("uniform", uniform, p => aggregator.Generate(p, uniform, eos, greedy, cancellationToken: _cancellationToken)));
        candidates.Add(("emorl", bestWeights, p => aggregator.Generate(p, bestWeights, eos, greedy, cancellationToken: _cancellationToken)));

        var results = ProgressBars.Run(
            "test evaluation",
            candidates.Count * split.Test.Count,
            bar => candidates.Select((candidate, index) => evaluator.Evaluate(
                candidate.Generate,
                new SyncProgress<EvaluationProgress>(p => bar.Report(((index * p.Total) + p.Completed, candidate.Name))),
                _cancellationToken)).ToArray(),
            r => Invariant($"{r.Length} models"));
        var reports = new List<ModelReport>();
        var samples = new Dictionary<string, IReadOnlyList<PromptResponse>>(StringComparer.Ordinal);
        foreach (var ((name, weights, _), result) in candidates.Zip(results))
        {
            reports.Add(new ModelReport(name, weights, result.Scores, result.Mean, result.DistinctTwo));
            samples[name] = result.Samples;
            Stage($"  {name,-10} " + string.Join("  ", result.Scores.Select(s => Invariant($"{s.Key} {s.Value:F3}")))
                + Invariant($"  mean {result.Mean:F3}"));
        }

        var examples = Enumerable.Range(0, Math.Min(3, split.Test.Count))
            .Select(i => new ExampleReport(split.Test[i].Prompt, samples.ToDictionary(s => s.Key, s => s.Value[i].Response, StringComparer.Ordinal)))
            .ToArray();
        return (reports, examples);
    }

    /// <summary>
    /// Builds the run's prompt template. Encoder inputs of T5 end with end-of-text, as Hugging Face's
    /// T5 tokenizer writes them; the generate command builds the same template.
    /// </summary>
    internal static PromptTemplate CreateTemplate(ITextTokenizer tokenizer, AdaptableLanguageModel baseModel) =>
        new(tokenizer, PromptTokens, ResponseTokens, endWithEndOfText: baseModel is T5Model);

    /// <summary>
    /// Deletes an earlier run's report.json before this run replaces base/ and adapters/. The report is
    /// written last, so the generate command, which needs it, never combines a cancelled run's new base
    /// model with an earlier run's adapters.
    /// </summary>
    private void RemoveEarlierReport()
    {
        string report = Path.Combine(_options.OutputDirectory, "report.json");
        if (File.Exists(report))
        {
            File.Delete(report);
            Stage($"Removed the earlier run's report.json from {_options.OutputDirectory}; this run writes a new one when it finishes");
        }
    }

    private static IEnumerable<ScoredPair> Graded(PairRecord record) =>
        record.GetGradedResponses().Select(g => new ScoredPair(new PromptResponse(record.Prompt, g.Text), (int)g.Level / 2.0));

    private static ScoredPair ToScored(EmpathyRecord record) =>
        new(new PromptResponse(record.SeekerPost, record.ResponsePost), record.Score);

    private static MachineReport Machine()
    {
        string cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        return new MachineReport(cpu, Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            Environment.Version.ToString(), "TorchSharp " + typeof(TorchSharp.torch).Assembly.GetName().Version);
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    private void Stage(string message) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}"));
}
