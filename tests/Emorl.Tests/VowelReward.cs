using System.Collections.Generic;
using System.Linq;
using Emorl.Rewards;

namespace Emorl.Tests;

/// <summary>Scores a response by its share of vowels: deterministic and varied on random text.</summary>
internal sealed class VowelReward : IRewardModel
{
    public string Name => "vowels";

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        pairs.Select(p => p.Response.Length == 0 ? 0.0 : p.Response.Count(c => "aeiou".Contains(c)) / (double)p.Response.Length)
             .ToArray();
}
