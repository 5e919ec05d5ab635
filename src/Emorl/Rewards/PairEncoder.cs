using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Emorl.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Rewards;

/// <summary>
/// Turns (prompt, response) text pairs into the padded id tensors and features that
/// <see cref="PairScorerNetwork"/> reads.
/// </summary>
internal sealed class PairEncoder
{
    /// <summary>The number of hand-made features per pair.</summary>
    public const int FeatureCount = 4;

    private readonly ITextTokenizer _tokenizer;
    private readonly TokenVocabulary _vocabulary;
    private readonly int _maxTokens;

    public PairEncoder(ITextTokenizer tokenizer, TokenVocabulary vocabulary, int maxTokens)
    {
        _tokenizer = tokenizer;
        _vocabulary = vocabulary;
        _maxTokens = maxTokens;
    }

    /// <summary>Tokenizes every text and collects the distinct ids, checking each against the vocabulary.</summary>
    public static TokenVocabulary BuildVocabulary(ITextTokenizer tokenizer, IEnumerable<string> texts)
    {
        var seen = new HashSet<int>();
        foreach (string text in texts)
        {
            seen.UnionWith(EncodeChecked(tokenizer, text));
        }

        return new TokenVocabulary(tokenizer.VocabularySize, seen.ToArray());
    }

    public EncodedPair Encode(PromptResponse pair)
    {
        IReadOnlyList<int> prompt = EncodeChecked(_tokenizer, pair.Prompt ?? string.Empty);
        IReadOnlyList<int> response = EncodeChecked(_tokenizer, pair.Response ?? string.Empty);

        // Prompts keep their end, where the client's latest words are, and responses keep their start.
        int[] promptKept = prompt.Skip(Math.Max(0, prompt.Count - _maxTokens)).ToArray();
        int[] responseKept = response.Take(_maxTokens).ToArray();

        float[] features = ComputeFeatures(promptKept, responseKept, _maxTokens);
        int[] promptCompact = Array.ConvertAll(promptKept, _vocabulary.ToCompactId);
        int[] responseCompact = Array.ConvertAll(responseKept, _vocabulary.ToCompactId);
        return new EncodedPair(promptCompact, responseCompact, features);
    }

    /// <summary>Pads a batch into tensors created in the caller's dispose scope.</summary>
    /// <returns>Prompt ids [B, Tp] and response ids [B, Tr] (int64, padded with 0), features [B, 4].</returns>
    public static (Tensor Prompt, Tensor Response, Tensor Features) ToTensors(IReadOnlyList<EncodedPair> batch)
    {
        Tensor prompt = PadIds(batch.Select(p => p.PromptIds).ToArray());
        Tensor response = PadIds(batch.Select(p => p.ResponseIds).ToArray());
        float[] features = new float[batch.Count * FeatureCount];
        for (int i = 0; i < batch.Count; i++)
        {
            Array.Copy(batch[i].Features, 0, features, i * FeatureCount, FeatureCount);
        }

        return (prompt, response, tensor(features, new long[] { batch.Count, FeatureCount }));
    }

    /// <summary>
    /// Computes exact-overlap and length features from tokenizer ids, so tokens unseen in training
    /// still count as overlap.
    /// </summary>
    internal static float[] ComputeFeatures(IReadOnlyList<int> prompt, IReadOnlyList<int> response, int maxTokens)
    {
        var promptSet = new HashSet<int>(prompt);
        var responseSet = new HashSet<int>(response);
        float responseInPrompt = response.Count == 0
            ? 0f
            : (float)response.Count(promptSet.Contains) / response.Count;
        float promptInResponse = promptSet.Count == 0
            ? 0f
            : (float)promptSet.Count(responseSet.Contains) / promptSet.Count;

        // Log lengths scaled into [0, 1] by the truncation limit.
        float scale = (float)Math.Log(1 + maxTokens);
        return new[]
        {
            responseInPrompt,
            promptInResponse,
            (float)Math.Log(1 + response.Count) / scale,
            (float)Math.Log(1 + prompt.Count) / scale,
        };
    }

    private static Tensor PadIds(IReadOnlyList<int>[] rows)
    {
        // At least one column, so an empty text still yields a [B, 1] tensor of padding.
        int width = Math.Max(1, rows.Max(r => r.Count));
        long[] ids = new long[rows.Length * width];
        for (int i = 0; i < rows.Length; i++)
        {
            for (int t = 0; t < rows[i].Count; t++)
            {
                ids[(i * width) + t] = rows[i][t];
            }
        }

        return tensor(ids, new long[] { rows.Length, width }); // [B, T]
    }

    private static IReadOnlyList<int> EncodeChecked(ITextTokenizer tokenizer, string text)
    {
        IReadOnlyList<int> ids = tokenizer.Encode(text);
        foreach (int id in ids)
        {
            if (id < 0 || id >= tokenizer.VocabularySize)
            {
                throw new InvalidOperationException(string.Format(
                    CultureInfo.InvariantCulture,
                    "Tokenizer {0} returned id {1}, outside its vocabulary [0, {2}); "
                        + "fix the tokenizer's VocabularySize or Encode.",
                    tokenizer.GetType().Name,
                    id,
                    tokenizer.VocabularySize));
            }
        }

        return ids;
    }
}
