using System;
using System.Collections.Generic;
using System.Threading;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Rewards;

/// <summary>
/// A trained pair scorer: a small TorchSharp network over the tokens of a prompt and a response
/// that outputs a score in [0, 1], for example for reflection or empathy.
/// </summary>
/// <remarks>
/// Create one with <see cref="Train"/> or <see cref="Load"/>. Scoring runs on the CPU under
/// <c>torch.no_grad()</c>, in batches of <see cref="TextPairScorerOptions.BatchSize"/>. An
/// instance is not thread-safe; call it from one thread at a time.
/// </remarks>
public sealed class TextPairScorer : IRewardModel, IDisposable
{
    private readonly TextPairScorerOptions _options;
    private readonly PairScorerNetwork _network;
    private readonly PairEncoder _encoder;
    private readonly ILogger<TextPairScorer> _logger;
    private bool _disposed;

    internal TextPairScorer(
        string name,
        ITextTokenizer tokenizer,
        TokenVocabulary vocabulary,
        TextPairScorerOptions options,
        PairScorerNetwork network,
        ILogger<TextPairScorer> logger)
    {
        Name = name;
        Vocabulary = vocabulary;
        _options = options;
        _network = network;
        _logger = logger;
        _encoder = new PairEncoder(tokenizer, vocabulary, options.MaxTokensPerSide);
        _network.eval();
    }

    /// <summary>Gets the objective's name given at training, for example <c>reflection</c>.</summary>
    public string Name { get; }

    /// <summary>Gets a copy of the options the scorer was trained with.</summary>
    public TextPairScorerOptions Options => _options.Clone();

    internal TokenVocabulary Vocabulary { get; }

    internal PairScorerNetwork Network => _network;

    /// <summary>Trains a scorer on labelled pairs.</summary>
    /// <param name="name">The objective's name, for example <c>reflection</c>; not empty.</param>
    /// <param name="tokenizer">
    /// The tokenizer for prompts and responses; scoring uses the same instance.
    /// </param>
    /// <param name="examples">
    /// The labelled pairs; at least one. Pairs with equal prompts form a group for the ranking loss.
    /// </param>
    /// <param name="options">The hyperparameters; validated first and copied.</param>
    /// <param name="progress">Receives the mean loss after each epoch; optional.</param>
    /// <param name="logger">The logger; <see cref="NullLogger{T}"/> when null.</param>
    /// <param name="cancellationToken">Cancels training between steps.</param>
    /// <returns>The trained scorer, which the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentNullException">An argument or an example is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is empty, <paramref name="examples"/> is empty or an option is invalid.
    /// </exception>
    /// <exception cref="InvalidOperationException">The tokenizer returned an id outside its vocabulary.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <remarks>
    /// Seeds <c>torch.random</c> globally with <see cref="TextPairScorerOptions.Seed"/> and sets
    /// torch's thread count to <see cref="TextPairScorerOptions.ThreadCount"/> while it runs. The
    /// same seed, data and thread count give the same model on a CPU.
    /// </remarks>
    public static TextPairScorer Train(
        string name,
        ITextTokenizer tokenizer,
        IReadOnlyList<ScoredPair> examples,
        TextPairScorerOptions options,
        IProgress<TextPairScorerProgress>? progress = null,
        ILogger<TextPairScorer>? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(options);
        if (examples.Count == 0)
        {
            throw new ArgumentException(
                "No training examples were given; pass at least one scored pair.",
                nameof(examples));
        }

        for (int i = 0; i < examples.Count; i++)
        {
            if (examples[i] is null)
            {
                throw new ArgumentNullException(
                    nameof(examples),
                    $"Example {i} is null; remove it or supply a scored pair.");
            }
        }

        options.Validate();

        TextPairScorerOptions copy = options.Clone();
        ILogger<TextPairScorer> log = logger ?? NullLogger<TextPairScorer>.Instance;
        var trainer = new TextPairScorerTrainer(copy, log);
        using var threads = new TorchThreadScope(copy.ThreadCount);
        var (network, vocabulary) = trainer.Fit(name, tokenizer, examples, progress, cancellationToken);
        return new TextPairScorer(name, tokenizer, vocabulary, copy, network, log);
    }

    /// <summary>Loads a scorer written by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="tokenizer">A tokenizer with the vocabulary used in training.</param>
    /// <param name="logger">The logger; <see cref="NullLogger{T}"/> when null.</param>
    /// <returns>The scorer, which the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="tokenizer"/> is null.</exception>
    /// <exception cref="System.IO.FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="System.IO.InvalidDataException">
    /// The file is not a pair scorer file, is truncated or corrupt, or was trained with a tokenizer
    /// of a different vocabulary size. The message names the file. The same
    /// exception when the file does not match its checkpoint manifest.
    /// </exception>
    public static TextPairScorer Load(string path, ITextTokenizer tokenizer, ILogger<TextPairScorer>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tokenizer);

        ILogger<TextPairScorer> log = logger ?? NullLogger<TextPairScorer>.Instance;
        TextPairScorer scorer = TextPairScorerFile.Read(path, tokenizer, log);
        TextPairScorerLog.Loaded(log, scorer.Name, path);
        return scorer;
    }

    /// <summary>Writes the name, options, vocabulary and network weights to a file.</summary>
    /// <param name="path">The file to write; replaced if it exists. Its folder must exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ObjectDisposedException">The scorer was disposed.</exception>
    /// <remarks>
    /// The file is first written beside the target and then moved over it, and a
    /// <c>PATH.emorl-manifest.json</c> sibling records its size and SHA-256 hash (see
    /// <see cref="Checkpoints.CheckpointManifest"/>), so a crash while writing leaves any earlier
    /// file intact and loadable.
    /// </remarks>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ObjectDisposedException.ThrowIf(_disposed, this);

        TextPairScorerFile.Write(path, this);
        TextPairScorerLog.Saved(_logger, Name, path);
    }

    /// <summary>Scores a batch of pairs.</summary>
    /// <param name="pairs">The pairs to score; may be empty. Empty prompts and responses are allowed.</param>
    /// <returns>One score in [0, 1] per pair, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pairs"/> or one of its elements is null.</exception>
    /// <exception cref="ObjectDisposedException">The scorer was disposed.</exception>
    /// <remarks>
    /// Prompts keep their last <see cref="TextPairScorerOptions.MaxTokensPerSide"/> tokens and
    /// responses their first ones.
    /// </remarks>
    public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < pairs.Count; i++)
        {
            if (pairs[i] is null)
            {
                throw new ArgumentNullException(
                    nameof(pairs),
                    $"Pair {i} is null; remove it or supply a prompt and response.");
            }
        }

        var scores = new double[pairs.Count];
        using var threads = new TorchThreadScope(_options.ThreadCount);
        for (int start = 0; start < pairs.Count; start += _options.BatchSize)
        {
            int count = Math.Min(_options.BatchSize, pairs.Count - start);
            ScoreBatch(pairs, start, count, scores);
        }

        return scores;
    }

    /// <summary>Releases the network's weights.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _network.Dispose();
            _disposed = true;
        }
    }

    private void ScoreBatch(IReadOnlyList<PromptResponse> pairs, int start, int count, double[] scores)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();

        EncodedPair[] batch = new EncodedPair[count];
        for (int i = 0; i < count; i++)
        {
            batch[i] = _encoder.Encode(pairs[start + i]);
        }

        var (prompt, response, features) = PairEncoder.ToTensors(batch);
        float[] probabilities = _network.forward(prompt, response, features).sigmoid().data<float>().ToArray(); // [B]
        for (int i = 0; i < count; i++)
        {
            scores[start + i] = probabilities[i];
        }
    }
}
