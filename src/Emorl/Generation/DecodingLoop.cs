using System;
using System.Collections.Generic;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>
/// Autoregressive decoding shared by single models and aggregates: prefill the prompts, then pick
/// one token per row per step until every row has emitted end-of-text or the budget is spent.
/// </summary>
internal static class DecodingLoop
{
    /// <summary>Generates responses; each row stops at its own end-of-text, which is not returned.</summary>
    public static IReadOnlyList<int[]> Run(
        IHiddenStateSource source,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        int endOfTextId,
        Models.GenerationOptions options,
        Generator? generator,
        CancellationToken cancellationToken)
    {
        options.Validate();
        int rows = prompts.Count;
        var responses = new List<int>[rows];
        for (int row = 0; row < rows; row++)
        {
            responses[row] = new List<int>(options.MaxNewTokens);
        }

        using var outer = NewDisposeScope();
        using var noGrad = no_grad();
        source.Begin(options.UseCache);
        var (tokens, keyMask, positions) = PromptBatch.Create(prompts, endOfTextId);
        var finished = new bool[rows];
        using var prefill = source.Forward(tokens, positions, keyMask);                    // [B, Lp, H]
        var last = prefill[.., -1, ..];                                                     // [B, H]
        var nextPosition = positions[.., -1] + 1;                                           // [B]
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            using var logits = source.Head.LanguageModelHead(last);                        // [B, V]
            var picked = TokenPicker.Pick(logits, options, generator).data<long>().ToArray();
            bool allFinished = true;
            for (int row = 0; row < rows; row++)
            {
                if (finished[row] || picked[row] == endOfTextId)
                {
                    finished[row] = true;
                    picked[row] = endOfTextId;
                    continue;
                }

                responses[row].Add((int)picked[row]);
                allFinished = false;
            }

            if (allFinished || step == options.MaxNewTokens - 1)
            {
                break;
            }

            var newTokens = tensor(picked, [rows, 1]);
            var newMask = ones([rows, 1], ScalarType.Bool);
            var grownMask = cat([keyMask, newMask], 1);
            Tensor hidden;
            if (options.UseCache)
            {
                hidden = source.Forward(newTokens, nextPosition.unsqueeze(1), grownMask);  // [B, 1, H]
            }
            else
            {
                tokens = cat([tokens, newTokens], 1).MoveToOuterDisposeScope();
                positions = cat([positions, nextPosition.unsqueeze(1)], 1).MoveToOuterDisposeScope();
                hidden = source.Forward(tokens, positions, grownMask);                     // [B, T, H]
            }

            keyMask = grownMask.MoveToOuterDisposeScope();
            last = hidden[.., -1, ..].MoveToOuterDisposeScope();
            nextPosition = (nextPosition + 1).MoveToOuterDisposeScope();
        }

        var result = new int[rows][];
        for (int row = 0; row < rows; row++)
        {
            result[row] = responses[row].ToArray();
        }

        return result;
    }
}
