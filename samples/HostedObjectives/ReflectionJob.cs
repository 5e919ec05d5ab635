using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Emorl.Data;
using Emorl.Pipeline;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;

namespace HostedObjectives;

/// <summary>Replies generated for one weight vector.</summary>
/// <param name="Label">What the weights are: an objective alone, or the searched weights.</param>
/// <param name="Weights">The weights, in objective order.</param>
/// <param name="Replies">One reply per test statement.</param>
internal sealed record WeightedReplies(string Label, IReadOnlyList<double> Weights, IReadOnlyList<string> Replies);

/// <summary>What the job found: the searched weights and the replies under several weight vectors.</summary>
internal sealed record JobResult(
    IReadOnlyList<string> Objectives, IReadOnlyList<double> BestWeights, double BestScore, IReadOnlyList<string> Statements,
    IReadOnlyList<WeightedReplies> Replies);

/// <summary>
/// Warms up a small base model on the counselor sample's statements, trains one adapter per
/// objective, searches the weights and generates test replies, all through <see cref="EmorlTrainer"/>.
/// </summary>
internal sealed partial class ReflectionJob
{
    private const int Seed = 1;
    private readonly EmorlTrainer _trainer;
    private readonly ILogger<ReflectionJob> _logger;

    public ReflectionJob(EmorlTrainer trainer, ILogger<ReflectionJob> logger)
    {
        _trainer = trainer;
        _logger = logger;
    }

    /// <summary>Runs every stage, and stops between steps once <paramref name="cancellationToken"/> is canceled.</summary>
    /// <exception cref="OperationCanceledException">
    /// The token was canceled. The stages finished before it are logged first.
    /// </exception>
    public JobResult Run(CancellationToken cancellationToken)
    {
        var finished = new List<string>();
        try
        {
            return RunStages(finished, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopped(_logger, finished.Count == 0 ? "nothing" : string.Join("; ", finished));
            throw;
        }
    }

    private JobResult RunStages(List<string> finished, CancellationToken cancellationToken)
    {
        using var stream = typeof(ReflectionJob).Assembly.GetManifestResourceStream("HostedObjectives.reflections.csv")
            ?? throw new InvalidOperationException("The embedded reflections.csv is missing; rebuild the sample.");
        var split = DatasetSplitter.Split(PairDatasetLoader.Load(stream, "reflections.csv").Records, Seed);
        (string Statement, string Response)[] pairs =
            [.. split.Train.SelectMany(r => r.HighQuality.Select(reflection => (r.Prompt, reflection)))];
        var validationPairs = split.Validation.Select(r => (r.Prompt, r.HighQuality[0])).ToArray();
        LogData(_logger, split.Train.Count, split.Validation.Count, split.Test.Count, pairs.Length);

        var tokenizer = CompactVocabularyTokenizer.FromCorpus(
            new Gpt2Tokenizer(), pairs.SelectMany(p => new[] { p.Statement, p.Response }), cancellationToken: cancellationToken);
        var template = _trainer.CreateTemplate(tokenizer);
        using var baseModel = _trainer.CreateBaseModel(tokenizer);
        var warmup = _trainer.WarmUp(baseModel, template, pairs, validationPairs, cancellationToken: cancellationToken);
        finished.Add(string.Create(CultureInfo.InvariantCulture, $"warm-up ({warmup.Steps} steps)"));

        var validation = split.Validation.Select(r => r.Prompt).ToArray();
        using var ensemble = _trainer.TrainObjectives(
            baseModel,
            template,
            split.Train.Select(r => r.Prompt).ToArray(),
            validation,
            new FinishedObjectives(finished),
            cancellationToken);

        var search = _trainer.SearchWeights(ensemble, validation, cancellationToken: cancellationToken);
        if (search.IsPartial)
        {
            // A canceled search returns the points it scored. The job reports them but does not generate with them.
            finished.Add(string.Create(
                CultureInfo.InvariantCulture, $"weight search stopped after {search.Evaluations} grid-point visits"));
            cancellationToken.ThrowIfCancellationRequested();
        }

        finished.Add(string.Create(CultureInfo.InvariantCulture, $"weight search ({search.Evaluations} grid-point visits)"));
        var statements = split.Test.Take(3).Select(r => r.Prompt).ToArray();
        var replies = WeightVectors(ensemble.Objectives, search.BestWeights)
            .Select(w => new WeightedReplies(w.Label, w.Weights, ensemble.Generate(statements, w.Weights, cancellationToken: cancellationToken)))
            .ToArray();
        return new JobResult(ensemble.Objectives, search.BestWeights, search.BestScore, statements, replies);
    }

    /// <summary>
    /// Records each objective whose training finished, as soon as it finishes, so a stop during a
    /// later objective still reports it.
    /// </summary>
    private sealed class FinishedObjectives(List<string> finished) : IProgress<EmorlProgress>
    {
        public void Report(EmorlProgress value)
        {
            // Training closes each objective's stage with a report of Completed == Total. The last
            // step's own report can match too, so an objective is added once.
            string entry = $"objective {value.Name}";
            if (value.Stage == EmorlStage.ObjectiveTraining && value.IsComplete && !finished.Contains(entry))
            {
                finished.Add(entry);
            }
        }
    }

    /// <summary>Each objective alone, then the searched weights.</summary>
    private static IEnumerable<(string Label, double[] Weights)> WeightVectors(IReadOnlyList<string> objectives, IReadOnlyList<double> best)
    {
        for (int k = 0; k < objectives.Count; k++)
        {
            yield return (objectives[k] + " only", Enumerable.Range(0, objectives.Count).Select(i => i == k ? 1.0 : 0.0).ToArray());
        }

        yield return ("searched", best.ToArray());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data: {Train}/{Validation}/{Test} statements (train/validation/test), {Pairs} warm-up pairs")]
    private static partial void LogData(ILogger logger, int train, int validation, int test, int pairs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped on request after the current step; finished: {Finished}")]
    private static partial void LogStopped(ILogger logger, string finished);
}
