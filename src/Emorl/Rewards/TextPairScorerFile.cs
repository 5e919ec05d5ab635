using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Emorl.Checkpoints;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;

namespace Emorl.Rewards;

/// <summary>
/// Reads and writes the pair scorer file: a header with the name, options and vocabulary, then
/// the network's state dictionary in TorchSharp's <c>Module.save</c> format.
/// </summary>
internal static class TextPairScorerFile
{
    private const string Magic = "EMORL-TEXT-PAIR-SCORER";
    private const int FormatVersion = 1;

    public static void Write(string path, TextPairScorer scorer)
    {
        CheckpointFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(scorer.Name);
            WriteOptions(writer, scorer.Options);
            writer.Write(scorer.Vocabulary.TokenizerVocabularySize);
            writer.Write(scorer.Vocabulary.SeenIds.Count);
            foreach (int id in scorer.Vocabulary.SeenIds)
            {
                writer.Write(id);
            }

            scorer.Network.save(writer);
        });
    }

    public static TextPairScorer Read(string path, ITextTokenizer tokenizer, ILogger<TextPairScorer> logger)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Pair scorer file '{path}' was not found; check the path or save a scorer there first.",
                path);
        }

        CheckpointManifest.VerifyFile(path, logger);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            return ReadScorer(path, reader, tokenizer, logger);
        }
        catch (EndOfStreamException exception)
        {
            throw new InvalidDataException(
                $"Pair scorer file '{path}' is truncated; save the scorer again.",
                exception);
        }
    }

    private static TextPairScorer ReadScorer(
        string path,
        BinaryReader reader,
        ITextTokenizer tokenizer,
        ILogger<TextPairScorer> logger)
    {
        string magic = ReadMagic(reader);
        if (magic != Magic)
        {
            throw new InvalidDataException(
                $"File '{path}' is not a pair scorer file because it does not start with {Magic}.");
        }

        int version = reader.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException(string.Format(
                CultureInfo.InvariantCulture,
                "Pair scorer file '{0}' has format version {1}, but this library reads version {2}; "
                    + "save it again with this version.",
                path,
                version,
                FormatVersion));
        }

        string name = reader.ReadString();
        TextPairScorerOptions options = ReadOptions(path, reader);
        TokenVocabulary vocabulary = ReadVocabulary(path, reader, tokenizer);
        var network = new PairScorerNetwork(
            vocabulary.Count,
            options.EmbeddingSize,
            options.HiddenSize,
            options.Dropout);
        bool loaded = false;
        try
        {
            network.load(reader, strict: true);
            loaded = true;
        }
        catch (ArgumentException exception)
        {
            // TorchSharp 0.107.0 raises ArgumentException when a stored tensor's shape differs.
            throw new InvalidDataException(
                $"Pair scorer file '{path}' contains weights that do not fit its header: {exception.Message}",
                exception);
        }
        finally
        {
            if (!loaded)
            {
                network.Dispose();
            }
        }

        return new TextPairScorer(name, tokenizer, vocabulary, options, network, logger);
    }

    private static string ReadMagic(BinaryReader reader)
    {
        // A foreign file may start with any bytes; a bad length prefix surfaces as one of these.
        try
        {
            return reader.ReadString();
        }
        catch (FormatException)
        {
            return string.Empty;
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static TokenVocabulary ReadVocabulary(string path, BinaryReader reader, ITextTokenizer tokenizer)
    {
        int vocabularySize = reader.ReadInt32();
        if (vocabularySize != tokenizer.VocabularySize)
        {
            throw new InvalidDataException(string.Format(
                CultureInfo.InvariantCulture,
                "Pair scorer file '{0}' was trained with a tokenizer of {1} tokens, but the given tokenizer "
                    + "has {2}; load it with the tokenizer used in training.",
                path,
                vocabularySize,
                tokenizer.VocabularySize));
        }

        int count = reader.ReadInt32();
        if (count < 0 || count > vocabularySize)
        {
            throw new InvalidDataException(string.Format(
                CultureInfo.InvariantCulture,
                "Pair scorer file '{0}' lists {1} seen tokens, outside [0, {2}]; the file is corrupt.",
                path,
                count,
                vocabularySize));
        }

        var seen = new int[count];
        for (int i = 0; i < count; i++)
        {
            seen[i] = reader.ReadInt32();
        }

        try
        {
            return new TokenVocabulary(vocabularySize, seen);
        }
        catch (ArgumentOutOfRangeException exception)
        {
            throw new InvalidDataException(
                $"Pair scorer file '{path}' has an invalid vocabulary: {exception.Message}",
                exception);
        }
    }

    private static void WriteOptions(BinaryWriter writer, TextPairScorerOptions options)
    {
        writer.Write(options.EmbeddingSize);
        writer.Write(options.HiddenSize);
        writer.Write(options.Epochs);
        writer.Write(options.BatchSize);
        writer.Write(options.LearningRate);
        writer.Write(options.WeightDecay);
        writer.Write(options.MaxTokensPerSide);
        writer.Write(options.Seed);
        writer.Write(options.Dropout);
        writer.Write(options.TokenDropout);
        writer.Write(options.RankingWeight);
        writer.Write(options.RankingMargin);
        writer.Write(options.ThreadCount);
    }

    private static TextPairScorerOptions ReadOptions(string path, BinaryReader reader)
    {
        var options = new TextPairScorerOptions
        {
            EmbeddingSize = reader.ReadInt32(),
            HiddenSize = reader.ReadInt32(),
            Epochs = reader.ReadInt32(),
            BatchSize = reader.ReadInt32(),
            LearningRate = reader.ReadDouble(),
            WeightDecay = reader.ReadDouble(),
            MaxTokensPerSide = reader.ReadInt32(),
            Seed = reader.ReadInt32(),
            Dropout = reader.ReadDouble(),
            TokenDropout = reader.ReadDouble(),
            RankingWeight = reader.ReadDouble(),
            RankingMargin = reader.ReadDouble(),
            ThreadCount = reader.ReadInt32(),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException exception)
        {
            throw new InvalidDataException(
                $"Pair scorer file '{path}' contains invalid options, so the file is corrupt. {exception.Message}",
                exception);
        }

        return options;
    }
}
