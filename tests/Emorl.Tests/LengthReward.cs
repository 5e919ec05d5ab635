using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Rewards;

namespace Emorl.Tests;

/// <summary>Scores a response by how close its length is to a target: 1 at the target, 0 at twice it or empty.</summary>
internal sealed class LengthReward : IRewardModel, IDisposable
{
    private readonly int _target;

    public LengthReward(int target = 12)
    {
        _target = target;
    }

    public string Name => "length";

    public bool IsDisposed { get; private set; }

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        pairs.Select(p => Math.Max(0, 1 - (Math.Abs(p.Response.Length - _target) / (double)_target))).ToArray();

    public void Dispose() => IsDisposed = true;
}
