using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Rewards;

namespace Emorl.Tests.Rewards;

/// <summary>A user's reward model that returns a chosen value, or throws, for pairs whose prompt contains a marker.</summary>
internal sealed class FaultyReward(double faultyScore, bool throws = false, string marker = "") : IRewardModel
{
    public string Name => "faulty";

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        pairs.Select(pair => Score(pair)).ToArray();

    private double Score(PromptResponse pair)
    {
        bool faulty = pair.Prompt.Contains(marker, StringComparison.Ordinal);
        if (faulty && throws)
        {
            throw new InvalidOperationException("lookup table has no entry");
        }

        return faulty ? faultyScore : 0.5;
    }
}
