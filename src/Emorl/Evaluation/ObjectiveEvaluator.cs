using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Emorl.Rewards;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Emorl.Evaluation;

/// <summary>
/// Generates a response for each statement with a caller's generator and scores the responses
/// with every objective's reward model.
/// </summary>
/// <remarks>
/// Prompts are encoded once at construction and reused by every evaluation, which matters to the
/// grid search that evaluates many weight vectors on the same statements. Not thread-safe.
/// </remarks>
public sealed partial class ObjectiveEvaluator
{
    private readonly PromptTemplate _template;
    private readonly IReadOnlyList<IRewardModel> _rewards;
    private readonly IReadOnlyList<string> _statements;
    private readonly IReadOnlyList<IReadOnlyList<int>> _prompts;
    private readonly int _batchSize;
    private readonly ILogger _logger;

    /// <summary>Creates an evaluator for a fixed set of statements.</summary>
    /// <param name="template">Encodes statements and decodes responses.</param>
    /// <param name="rewards">One reward model per objective, names distinct.</param>
    /// <param name="statements">The client statements, at least one.</param>
    /// <param name="batchSize">Statements per generation call. Default 32.</param>
    /// <param name="logger">Logs a summary per evaluation (debug) and every response (trace only), or null for none.</param>
    public ObjectiveEvaluator(
        PromptTemplate template,
        IReadOnlyList<IRewardModel> rewards,
        IReadOnlyList<string> statements,
        int batchSize = 32,
        ILogger<ObjectiveEvaluator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(statements);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (rewards.Count == 0 || statements.Count == 0)
        {
            throw new ArgumentException(
                $"Evaluation needs at least one reward model and one statement; got {rewards.Count} and {statements.Count}.");
        }

        var duplicate = rewards.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two reward models are named '{duplicate.Key}'; give each objective a distinct name.", nameof(rewards));
        }

        _template = template;
        _rewards = rewards;
        _statements = statements;
        _batchSize = batchSize;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _prompts = template.EncodePrompts(statements, _logger);
    }

    /// <summary>
    /// Gets what happens when a reward model returns NaN or an infinity. Default
    /// <see cref="NonFiniteRewardHandling.Fail"/>, which throws a <see cref="RewardModelException"/> naming the
    /// objective and the statement's index; <see cref="NonFiniteRewardHandling.ReplaceWithZero"/> scores such
    /// responses 0 and logs a warning with the count.
    /// </summary>
    public NonFiniteRewardHandling NonFiniteRewards { get; init; } = NonFiniteRewardHandling.Fail;

    /// <summary>Gets the objective names, in reward-model order.</summary>
    public IReadOnlyList<string> Objectives => _rewards.Select(r => r.Name).ToArray();

    /// <summary>Generates and scores a response for every statement.</summary>
    /// <param name="generate">Maps a batch of prompt token ids to response token ids, one per prompt.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>Per-objective means, their mean, the samples and Distinct-2.</returns>
    public EvaluationResult Evaluate(
        Func<IReadOnlyList<IReadOnlyList<int>>, IReadOnlyList<int[]>> generate, CancellationToken cancellationToken = default) =>
        Evaluate(generate, null, cancellationToken);

    /// <summary>Generates and scores a response for every statement, reporting progress after each batch.</summary>
    /// <param name="generate">Maps a batch of prompt token ids to response token ids, one per prompt.</param>
    /// <param name="progress">Receives the statements done after each batch, or null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>Per-objective means, their mean, the samples and Distinct-2.</returns>
    /// <exception cref="RewardModelException">
    /// A reward model threw, or returned a score count, NaN, infinity or value outside [0, 1] that
    /// <see cref="NonFiniteRewards"/> does not allow. The message names the objective and the statement's index.
    /// </exception>
    public EvaluationResult Evaluate(
        Func<IReadOnlyList<IReadOnlyList<int>>, IReadOnlyList<int[]>> generate,
        IProgress<EvaluationProgress>? progress,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generate);
        var samples = new List<PromptResponse>(_statements.Count);
        for (int start = 0; start < _prompts.Count; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = _prompts.Skip(start).Take(_batchSize).ToArray();
            var responses = generate(batch);
            if (responses.Count != batch.Length)
            {
                throw new InvalidOperationException($"The generator returned {responses.Count} responses for {batch.Length} prompts.");
            }

            for (int i = 0; i < batch.Length; i++)
            {
                samples.Add(new PromptResponse(_statements[start + i], _template.DecodeResponse(responses[i])));
                LogSample(_logger, samples[^1].Prompt, samples[^1].Response);
            }

            progress?.Report(new EvaluationProgress(samples.Count, _prompts.Count));
        }

        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var reward in _rewards)
        {
            var values = RewardScoring.Score(reward, samples, NonFiniteRewards, _logger, cancellationToken);
            scores[reward.Name] = values.Average();
        }

        var result = new EvaluationResult(scores, scores.Values.Average(), samples, DistinctNGrams(samples.Select(s => s.Response), 2));
        LogEvaluated(_logger, samples.Count, result.Mean, result.DistinctTwo);
        return result;
    }

    /// <summary>Computes Distinct-n over a corpus: distinct word n-grams divided by all word n-grams.</summary>
    /// <param name="texts">The responses; words are split on whitespace.</param>
    /// <param name="n">The n-gram order, at least 1.</param>
    /// <returns>The ratio in [0, 1]; 0 when there is no n-gram.</returns>
    public static double DistinctNGrams(IEnumerable<string> texts, int n)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var text in texts)
        {
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i + n <= words.Length; i++)
            {
                distinct.Add(string.Join(' ', words, i, n));
                total++;
            }
        }

        return total == 0 ? 0 : distinct.Count / (double)total;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Evaluated {Count} statements: mean score {Mean:F4}, distinct-2 {DistinctTwo:F3}")]
    private static partial void LogEvaluated(ILogger logger, int count, double mean, double distinctTwo);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Evaluation sample: statement {Statement} response {Response}")]
    private static partial void LogSample(ILogger logger, string statement, string response);
}
