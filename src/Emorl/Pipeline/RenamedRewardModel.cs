using System;
using System.Collections.Generic;
using Emorl.Rewards;

namespace Emorl.Pipeline;

/// <summary>Shows a reward model under an objective's name, so that scores are keyed by that name.</summary>
internal sealed class RenamedRewardModel : IRewardModel, IDisposable
{
    public RenamedRewardModel(string name, IRewardModel inner)
    {
        Name = name;
        Inner = inner;
    }

    public string Name { get; }

    public IRewardModel Inner { get; }

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) => Inner.Score(pairs);

    public void Dispose() => (Inner as IDisposable)?.Dispose();
}
