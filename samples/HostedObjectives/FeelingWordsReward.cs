using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Rewards;
using Microsoft.Extensions.Options;

namespace HostedObjectives;

/// <summary>
/// Scores a reply by the distinct feeling words it uses: min(1, found / target). A reward model
/// written in the app, with its own options, to show how objectives plug in.
/// </summary>
internal sealed class FeelingWordsReward : IRewardModel
{
    private static readonly char[] s_separators = [' ', ',', '.', '!', '?', ';', ':', '\n', '"'];
    private readonly HashSet<string> _words;
    private readonly int _targetCount;

    public FeelingWordsReward(IOptions<FeelingWordsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _words = new HashSet<string>(options.Value.Words, StringComparer.OrdinalIgnoreCase);
        _targetCount = options.Value.TargetCount;
    }

    public string Name => "feeling-words";

    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
        pairs.Select(p => Math.Min(1.0, CountWords(p.Response) / (double)_targetCount)).ToArray();

    private int CountWords(string response) =>
        response.Split(s_separators, StringSplitOptions.RemoveEmptyEntries)
            .Where(_words.Contains)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Count();
}
