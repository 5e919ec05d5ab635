using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Rewards;

namespace Emorl.Tests.Rewards;

/// <summary>One scorer trained on the synthetic reflection task, shared by the tests of a class.</summary>
public sealed class SyntheticScorerFixture : IDisposable
{
    public const int TrainPromptCount = 120;

    public SyntheticScorerFixture()
    {
        List<ScoredPair> all = SyntheticReflectionData.Create(TrainPromptCount + 30, seed: 11);
        Training = all.Take(TrainPromptCount * 3).ToList();
        HeldOut = all.Skip(TrainPromptCount * 3).ToList();
        Tokenizer = new WordLevelTokenizer(SyntheticReflectionData.AllTexts());
        Scorer = TextPairScorer.Train("reflection", Tokenizer, Training, CreateOptions());
    }

    internal WordLevelTokenizer Tokenizer { get; }

    internal List<ScoredPair> Training { get; }

    internal List<ScoredPair> HeldOut { get; }

    internal TextPairScorer Scorer { get; }

    /// <summary>Returns options small enough that training takes about a second on two cores.</summary>
    internal static TextPairScorerOptions CreateOptions() => new()
    {
        EmbeddingSize = 32,
        HiddenSize = 32,
        Epochs = 15,
        BatchSize = 24,
        Seed = 5,
    };

    public void Dispose() => Scorer.Dispose();
}
