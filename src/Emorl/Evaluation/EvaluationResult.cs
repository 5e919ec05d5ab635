using System.Collections.Generic;
using Emorl.Rewards;

namespace Emorl.Evaluation;

/// <summary>Scores of one generator on a set of statements.</summary>
/// <param name="Scores">Mean score of each objective, in [0, 1], by objective name.</param>
/// <param name="Mean">Unweighted mean of the objective means, EMORL's "mean reward".</param>
/// <param name="Samples">Every (statement, response) pair generated, in input order.</param>
/// <param name="DistinctTwo">Distinct-2 over all responses: distinct word bigrams divided by all word bigrams (Li et al. 2016); 0 with no bigrams.</param>
public sealed record EvaluationResult(
    IReadOnlyDictionary<string, double> Scores, double Mean, IReadOnlyList<PromptResponse> Samples, double DistinctTwo);
