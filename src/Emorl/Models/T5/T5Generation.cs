using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>Generates with one <see cref="T5Model"/> by greedy decoding.</summary>
public static class T5Generation
{
    /// <summary>
    /// Encodes each prompt once, then decodes from <see cref="T5Options.DecoderStartTokenId"/>,
    /// picking the most likely token per row and step until every row has emitted end-of-sequence
    /// or <paramref name="maxNewTokens"/> tokens.
    /// </summary>
    /// <param name="model">The model; put it in evaluation mode first.</param>
    /// <param name="prompts">Prompt token ids, each non-empty and in [0, V); usually ending with <c>&lt;/s&gt;</c>.</param>
    /// <param name="maxNewTokens">Most tokens to generate per row, at least 1.</param>
    /// <param name="useCache">
    /// True to keep a <see cref="T5DecoderCache"/> and feed one token per step; false to rerun the
    /// whole decoder sequence every step. Both give the same tokens.
    /// </param>
    /// <param name="adapter">LoRA adapter to apply, or null for the base model.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-sequence excluded.</returns>
    /// <exception cref="ArgumentException">A prompt is empty or contains an id outside [0, V).</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static IReadOnlyList<int[]> GenerateGreedy(
        T5Model model,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        int maxNewTokens,
        bool useCache,
        LoraAdapter? adapter = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNewTokens);
        ValidatePrompts(prompts, model.Options.VocabularySize);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = useCache ? model.CreateCache() : null;
        var (promptTokens, promptMask) = PadPrompts(prompts, model.Options.PaddingId, model.Device);
        var encoded = model.Encode(promptTokens, promptMask, adapter);                          // [B, S, H]
        int rows = prompts.Count;
        var responses = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var finished = new bool[rows];
        var decoded = full([rows, 1], (long)model.Options.DecoderStartTokenId, dtype: ScalarType.Int64, device: model.Device);
        var next = decoded;
        for (int step = 0; step < maxNewTokens && !finished.All(f => f); step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            using var hidden = model.DecodeHidden(useCache ? next : decoded, encoded, promptMask, cache, adapter);
            using var logits = model.LanguageModelHead(hidden[.., -1]);                          // [B, V]
            long[] picked = logits.argmax(-1).data<long>().ToArray();
            for (int row = 0; row < rows; row++)
            {
                if (finished[row] || picked[row] == model.Options.EndOfSequenceId)
                {
                    finished[row] = true;
                    picked[row] = model.Options.PaddingId;
                    continue;
                }

                responses[row].Add((int)picked[row]);
            }

            next = tensor(picked, [rows, 1], device: model.Device).MoveToOuterDisposeScope();
            decoded = cat([decoded, next], 1).MoveToOuterDisposeScope();
        }

        return responses.Select(r => r.ToArray()).ToArray();
    }

    internal static void ValidatePrompts(IReadOnlyList<IReadOnlyList<int>> prompts, int vocabularySize)
    {
        for (int row = 0; row < prompts.Count; row++)
        {
            if (prompts[row] is not { Count: > 0 } prompt)
            {
                throw new ArgumentException($"Prompt {row} is empty; every prompt needs at least one token.", nameof(prompts));
            }

            foreach (int id in prompt)
            {
                if (id < 0 || id >= vocabularySize)
                {
                    throw new ArgumentException(
                        $"Prompt {row} contains token id {id}, outside the model's vocabulary [0, {vocabularySize}); " +
                        "encode prompts with the tokenizer the model was trained with.", nameof(prompts));
                }
            }
        }
    }

    /// <summary>Right-pads the prompts with the padding id; the mask marks the real tokens.</summary>
    internal static (Tensor Tokens, Tensor Mask) PadPrompts(IReadOnlyList<IReadOnlyList<int>> prompts, int paddingId, Device device)
    {
        int length = prompts.Max(p => p.Count);
        var tokens = new long[prompts.Count * length];
        var mask = new bool[prompts.Count * length];
        Array.Fill(tokens, paddingId);
        for (int row = 0; row < prompts.Count; row++)
        {
            for (int i = 0; i < prompts[row].Count; i++)
            {
                tokens[row * length + i] = prompts[row][i];
                mask[row * length + i] = true;
            }
        }

        return (tensor(tokens, [prompts.Count, length], device: device), tensor(mask, [prompts.Count, length], device: device));
    }
}
