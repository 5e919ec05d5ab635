using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Rewards;
using Microsoft.Extensions.Options;

namespace HostedObjectives;

/// <summary>
/// Scores a reply by how close its word count n is to a target t: max(0, 1 − |n − t| / t), so an
/// empty reply and one of 2t words or more score 0.
/// </summary>
internal sealed class BrevityReward : IRewardModel
{
    private readonly int _targetWords;

    public BrevityReward(IOptions<BrevityOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _targetWords = options.Value.TargetWords;
    }

    public string Name => "brevity";

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        pairs.Select(p => Score(p.Response)).ToArray();

    private double Score(string response)
    {
        int words = response.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        return Math.Max(0, 1 - (Math.Abs(words - _targetWords) / (double)_targetWords));
    }
}
