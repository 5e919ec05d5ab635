using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Rewards;

/// <summary>
/// Trains a <see cref="PairScorerNetwork"/> with binary cross-entropy on soft targets plus a
/// pairwise margin ranking loss between responses to the same prompt.
/// </summary>
internal sealed class TextPairScorerTrainer
{
    private readonly TextPairScorerOptions _options;
    private readonly ILogger _logger;
    private readonly Random _random;

    public TextPairScorerTrainer(TextPairScorerOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _random = new Random(options.Seed);
    }

    /// <summary>Seeds torch, builds the vocabulary and network, and runs every epoch.</summary>
    /// <returns>The trained network in eval mode and its vocabulary; the caller owns the network.</returns>
    public (PairScorerNetwork Network, TokenVocabulary Vocabulary) Fit(
        string name,
        ITextTokenizer tokenizer,
        IReadOnlyList<ScoredPair> examples,
        IProgress<TextPairScorerProgress>? progress,
        CancellationToken cancellationToken)
    {
        // Seeding happens here, once, before the network draws its initial weights.
        torch.random.manual_seed(_options.Seed);
        TokenVocabulary vocabulary = PairEncoder.BuildVocabulary(
            tokenizer,
            examples.SelectMany(e => new[] { e.Pair.Prompt, e.Pair.Response }));
        var encoder = new PairEncoder(tokenizer, vocabulary, _options.MaxTokensPerSide);
        EncodedPair[] encoded = examples.Select(e => encoder.Encode(e.Pair)).ToArray();
        int[] groupOf = GroupByPrompt(examples, out int groupCount);
        TextPairScorerLog.TrainingStarted(
            _logger,
            name,
            examples.Count,
            groupCount,
            vocabulary.SeenIds.Count,
            _options.Seed);

        var network = new PairScorerNetwork(
            vocabulary.Count,
            _options.EmbeddingSize,
            _options.HiddenSize,
            _options.Dropout);
        bool trained = false;
        try
        {
            Train(name, network, encoded, examples, groupOf, progress, cancellationToken);
            network.eval();
            trained = true;
            return (network, vocabulary);
        }
        finally
        {
            if (!trained)
            {
                network.Dispose();
            }
        }
    }

    private void Train(
        string name,
        PairScorerNetwork network,
        EncodedPair[] encoded,
        IReadOnlyList<ScoredPair> examples,
        int[] groupOf,
        IProgress<TextPairScorerProgress>? progress,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using AdamW optimizer = optim.AdamW(
            network.parameters(),
            lr: _options.LearningRate,
            weight_decay: _options.WeightDecay);
        network.train();
        for (int epoch = 1; epoch <= _options.Epochs; epoch++)
        {
            double lossSum = 0;
            List<int[]> batches = MakeBatches(groupOf);
            foreach (int[] batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                lossSum += TrainStep(network, optimizer, batch, encoded, examples, groupOf);
            }

            double meanLoss = lossSum / batches.Count;
            TextPairScorerLog.EpochFinished(_logger, name, epoch, _options.Epochs, meanLoss);
            progress?.Report(new TextPairScorerProgress(epoch, _options.Epochs, meanLoss, stopwatch.Elapsed));
        }

        TextPairScorerLog.TrainingFinished(_logger, name, stopwatch.Elapsed.TotalSeconds);
    }

    private double TrainStep(
        PairScorerNetwork network,
        AdamW optimizer,
        int[] batch,
        EncodedPair[] encoded,
        IReadOnlyList<ScoredPair> examples,
        int[] groupOf)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();

        var (prompt, response, features) = PairEncoder.ToTensors(batch.Select(i => encoded[i]).ToArray());
        Tensor logits = network.forward(DropTokens(prompt), DropTokens(response), features); // [B]
        float[] targetValues = batch.Select(i => (float)examples[i].Target).ToArray();
        Tensor targets = tensor(targetValues); // [B]
        Tensor loss = nn.functional.binary_cross_entropy_with_logits(logits, targets);
        if (_options.RankingWeight > 0)
        {
            Tensor? ranking = RankingLoss(logits, batch, targetValues, groupOf);
            if (ranking is not null)
            {
                loss = loss + (ranking * _options.RankingWeight);
            }
        }

        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    /// <summary>
    /// Computes the mean hinge loss max(0, m·(t_i − t_j) − (z_i − z_j)), with logits z and margin m.
    /// The mean runs over the pairs of a batch that share a prompt and have targets t_i &gt; t_j.
    /// </summary>
    /// <remarks>
    /// The margin grows with the target gap, so a high/low pair (targets 1 and 0) must lie further
    /// apart in logits than a high/medium pair (1 and 0.5).
    /// </remarks>
    /// <returns>A scalar tensor, or null when the batch has no such pair.</returns>
    private Tensor? RankingLoss(Tensor logits, int[] batch, float[] targets, int[] groupOf)
    {
        var higher = new List<long>();
        var lower = new List<long>();
        var margins = new List<float>();
        for (int i = 0; i < batch.Length; i++)
        {
            for (int j = 0; j < batch.Length; j++)
            {
                if (groupOf[batch[i]] == groupOf[batch[j]] && targets[i] > targets[j])
                {
                    higher.Add(i);
                    lower.Add(j);
                    margins.Add((float)_options.RankingMargin * (targets[i] - targets[j]));
                }
            }
        }

        if (higher.Count == 0)
        {
            return null;
        }

        Tensor higherLogits = logits.index_select(0, tensor(higher.ToArray())); // [P]
        Tensor lowerLogits = logits.index_select(0, tensor(lower.ToArray())); // [P]
        Tensor difference = higherLogits - lowerLogits; // [P]
        return nn.functional.relu(tensor(margins.ToArray()) - difference).mean();
    }

    /// <summary>Replaces non-padding ids by the unknown id with probability TokenDropout.</summary>
    private Tensor DropTokens(Tensor ids)
    {
        if (_options.TokenDropout <= 0)
        {
            return ids;
        }

        Tensor drop = rand(ids.shape).lt(_options.TokenDropout).logical_and(ids.ne(TokenVocabulary.PaddingId));
        return ids.masked_fill(drop, TokenVocabulary.UnknownId);
    }

    /// <summary>
    /// Shuffles prompt groups and packs them into batches of at most BatchSize pairs, so that
    /// responses to one prompt share a batch and the ranking loss can compare them.
    /// </summary>
    private List<int[]> MakeBatches(int[] groupOf)
    {
        int batchSize = _options.BatchSize;
        var chunks = new List<int[]>();
        foreach (IGrouping<int, int> group in Enumerable.Range(0, groupOf.Length).GroupBy(i => groupOf[i]))
        {
            int[] members = group.ToArray();
            _random.Shuffle(members);

            // A group larger than a batch is split; its parts still compare pairs inside each part.
            chunks.AddRange(members.Chunk(batchSize));
        }

        int[][] shuffled = chunks.ToArray();
        _random.Shuffle(shuffled);
        var batches = new List<int[]>();
        var current = new List<int>(batchSize);
        foreach (int[] chunk in shuffled)
        {
            if (current.Count + chunk.Length > batchSize)
            {
                batches.Add(current.ToArray());
                current.Clear();
            }

            current.AddRange(chunk);
        }

        batches.Add(current.ToArray());
        return batches;
    }

    private static int[] GroupByPrompt(IReadOnlyList<ScoredPair> examples, out int groupCount)
    {
        var groupIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int[] groupOf = new int[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            string prompt = examples[i].Pair.Prompt;
            if (!groupIds.TryGetValue(prompt, out int group))
            {
                group = groupIds.Count;
                groupIds.Add(prompt, group);
            }

            groupOf[i] = group;
        }

        groupCount = groupIds.Count;
        return groupOf;
    }
}
