using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Rewards;

namespace Emorl.Tests;

/// <summary>Scores a response by how often it contains one character: min(count, target) / target.</summary>
internal sealed class CharacterCountReward : IRewardModel
{
    private readonly char _character;
    private readonly int _target;

    public CharacterCountReward(char character, int target)
    {
        _character = character;
        _target = target;
    }

    public string Name => $"count_{_character}";

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        pairs.Select(p => Math.Min(p.Response.Count(c => c == _character), _target) / (double)_target).ToArray();
}
