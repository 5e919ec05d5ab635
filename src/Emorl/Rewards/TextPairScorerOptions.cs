using System;
using System.Collections.Generic;
using System.Globalization;

namespace Emorl.Rewards;

/// <summary>
/// Hyperparameters of a <see cref="TextPairScorer"/>: network size, training schedule, input
/// truncation and thread count.
/// </summary>
/// <remarks>
/// The defaults were tuned on the PAIR reflection data (about 2,000 training pairs with a
/// word-level tokenizer). With them, training on 2,032 PAIR pairs took 6 to 9 s on a 2-core x64
/// virtual machine shared with other processes (TorchSharp 0.107.0, libtorch 2.10.0 CPU). Call
/// <see cref="Validate"/> before building a model, because it reports every invalid value at once.
/// </remarks>
public sealed class TextPairScorerOptions
{
    /// <summary>Gets or sets the width of the token embeddings.</summary>
    /// <value>In [4, 1024]; default 64, enough for a vocabulary of a few thousand seen tokens.</value>
    public int EmbeddingSize { get; set; } = 64;

    /// <summary>Gets or sets the width of the hidden layer of the scoring MLP.</summary>
    /// <value>In [4, 4096]; default 128.</value>
    public int HiddenSize { get; set; } = 128;

    /// <summary>Gets or sets the number of passes over the training examples.</summary>
    /// <value>
    /// In [1, 10000]; default 8. On PAIR, held-out ranking accuracy stopped improving after about
    /// 6 epochs.
    /// </value>
    public int Epochs { get; set; } = 8;

    /// <summary>Gets or sets the number of pairs per optimizer step, and per scoring batch.</summary>
    /// <value>
    /// In [2, 4096]; default 32. Training batches are packed from whole prompt groups and never
    /// exceed this size. A group larger than a batch is split.
    /// </value>
    public int BatchSize { get; set; } = 32;

    /// <summary>Gets or sets the AdamW learning rate.</summary>
    /// <value>In (0, 1]; default 0.003, a usual rate for a small network trained from scratch.</value>
    public double LearningRate { get; set; } = 0.003;

    /// <summary>Gets or sets the AdamW decoupled weight decay.</summary>
    /// <value>In [0, 1]; default 0.01, the PyTorch AdamW default.</value>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Gets or sets the maximum number of tokens kept from each side of a pair.</summary>
    /// <value>
    /// In [1, 4096]; default 128, the encoder input length of the EMORL reference code. Prompts
    /// keep their last tokens, responses their first tokens.
    /// </value>
    public int MaxTokensPerSide { get; set; } = 128;

    /// <summary>Gets or sets the seed for weight initialization, shuffling and dropout.</summary>
    /// <value>Any value; default 42. The same seed gives the same model on a CPU.</value>
    public int Seed { get; set; } = 42;

    /// <summary>Gets or sets the dropout probability on embeddings and the MLP, during training only.</summary>
    /// <value>In [0, 1); default 0.1.</value>
    public double Dropout { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets the probability that a training token is replaced by the unknown token.
    /// </summary>
    /// <value>
    /// In [0, 1); default 0.1. This trains the embedding that tokens unseen in training map to at
    /// scoring time.
    /// </value>
    public double TokenDropout { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets the weight of the pairwise margin ranking loss relative to the binary
    /// cross-entropy.
    /// </summary>
    /// <value>
    /// In [0, 100]; default 1. Zero turns the ranking term off. The term compares pairs in one
    /// batch that share a prompt and differ in target.
    /// </value>
    public double RankingWeight { get; set; } = 1.0;

    /// <summary>Gets or sets the margin of the ranking loss, in logits.</summary>
    /// <value>In [0, 100]; default 1.</value>
    public double RankingMargin { get; set; } = 1.0;

    /// <summary>Gets or sets the number of torch intra-op threads used while training and scoring.</summary>
    /// <value>
    /// In [0, 256]; default 1. Zero leaves torch's process-wide setting unchanged. Any other value
    /// replaces that setting for the duration of each Train and Score call and restores it after.
    /// </value>
    /// <remarks>
    /// The network's tensors are small, so extra threads gain little, and on shared cores OpenMP
    /// threads stall at every operation's barrier. Training on 2,032 PAIR pairs on a 2-core virtual
    /// machine that other processes kept busy took 393 s with 2 threads and 10.5 s with 1 thread.
    /// </remarks>
    public int ThreadCount { get; set; } = 1;

    /// <summary>Checks every value and reports all invalid ones together.</summary>
    /// <exception cref="ArgumentException">
    /// One or more values are out of range; the message lists each with its value and valid range.
    /// </exception>
    public void Validate()
    {
        List<string> failures = GetValidationFailures();
        if (failures.Count > 0)
        {
            string message = "Invalid TextPairScorerOptions; set each value inside its range:"
                + Environment.NewLine + string.Join(Environment.NewLine, failures);
            throw new ArgumentException(message);
        }
    }

    /// <summary>Creates a copy of these options.</summary>
    /// <returns>A new instance with the same values.</returns>
    public TextPairScorerOptions Clone() => (TextPairScorerOptions)MemberwiseClone();

    private List<string> GetValidationFailures()
    {
        var failures = new List<string>();
        CheckRange(failures, nameof(EmbeddingSize), EmbeddingSize, 4, 1024);
        CheckRange(failures, nameof(HiddenSize), HiddenSize, 4, 4096);
        CheckRange(failures, nameof(Epochs), Epochs, 1, 10_000);
        CheckRange(failures, nameof(BatchSize), BatchSize, 2, 4096);
        CheckRange(failures, nameof(MaxTokensPerSide), MaxTokensPerSide, 1, 4096);
        CheckRange(failures, nameof(ThreadCount), ThreadCount, 0, 256);
        CheckRange(failures, nameof(LearningRate), LearningRate, 0, 1, minInclusive: false, maxInclusive: true);
        CheckRange(failures, nameof(WeightDecay), WeightDecay, 0, 1, minInclusive: true, maxInclusive: true);
        CheckRange(failures, nameof(Dropout), Dropout, 0, 1, minInclusive: true, maxInclusive: false);
        CheckRange(failures, nameof(TokenDropout), TokenDropout, 0, 1, minInclusive: true, maxInclusive: false);
        CheckRange(failures, nameof(RankingWeight), RankingWeight, 0, 100, minInclusive: true, maxInclusive: true);
        CheckRange(failures, nameof(RankingMargin), RankingMargin, 0, 100, minInclusive: true, maxInclusive: true);
        return failures;
    }

    private static void CheckRange(List<string> failures, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Format(
                CultureInfo.InvariantCulture,
                "{0} is {1}, but must lie in [{2}, {3}].",
                name,
                value,
                min,
                max));
        }
    }

    private static void CheckRange(
        List<string> failures,
        string name,
        double value,
        double min,
        double max,
        bool minInclusive,
        bool maxInclusive)
    {
        bool aboveMin = minInclusive ? value >= min : value > min;
        bool belowMax = maxInclusive ? value <= max : value < max;
        if (!double.IsFinite(value) || !aboveMin || !belowMax)
        {
            failures.Add(string.Format(
                CultureInfo.InvariantCulture,
                "{0} is {1}, but must be a finite number in {2}{3}, {4}{5}.",
                name,
                value,
                minInclusive ? "[" : "(",
                min,
                max,
                maxInclusive ? "]" : ")"));
        }
    }
}
