using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>
/// Prompts of different lengths left-padded into one batch, so every row's last prompt token sits
/// in the last column and new tokens append in lock-step.
/// </summary>
internal static class PromptBatch
{
    /// <summary>Builds tokens [B, L] and a key mask [B, L] (bool) from prompts.</summary>
    /// <remarks>
    /// Padding positions get id <paramref name="padId"/> and mask false. The models derive position
    /// ids from the mask.
    /// </remarks>
    public static (Tensor Tokens, Tensor Mask) Create(
        IReadOnlyList<IReadOnlyList<int>> prompts, int padId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("The prompt batch is empty; pass at least one prompt.", nameof(prompts));
        }

        for (int row = 0; row < prompts.Count; row++)
        {
            if (prompts[row] is null)
            {
                throw new ArgumentException($"Prompt {row} is null; pass token ids for every prompt.", nameof(prompts));
            }

            if (prompts[row].Count == 0)
            {
                throw new ArgumentException(
                    $"Prompt {row} has no tokens; every prompt needs at least one token (for example a template prefix).",
                    nameof(prompts));
            }
        }

        int rows = prompts.Count;
        int width = prompts.Max(p => p.Count);
        var tokens = new long[rows * width];
        var mask = new bool[rows * width];
        for (int row = 0; row < rows; row++)
        {
            int offset = width - prompts[row].Count;
            for (int column = 0; column < width; column++)
            {
                int index = row * width + column;
                bool real = column >= offset;
                tokens[index] = real ? prompts[row][column - offset] : padId;
                mask[index] = real;
            }
        }

        return (tensor(tokens, [rows, width], device: device), tensor(mask, [rows, width], device: device));
    }

    /// <summary>
    /// Builds a teacher-forcing batch: left-padded prompts followed by right-padded responses.
    /// </summary>
    /// <returns>Tokens and key mask, [B, Lp + Lr], plus the prompt width Lp.</returns>
    public static (Tensor Tokens, Tensor Mask, int PromptWidth) CreateWithResponses(
        IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<IReadOnlyList<int>> responses, int padId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (responses.Count != prompts.Count)
        {
            throw new ArgumentException(
                $"There are {prompts.Count} prompts but {responses.Count} responses; pass one response per prompt.",
                nameof(responses));
        }

        var (promptTokens, promptMask) = Create(prompts, padId, device);
        using (promptTokens)
        using (promptMask)
        {
            int rows = prompts.Count;
            int width = Math.Max(1, responses.Max(r => r.Count));
            var tokens = new long[rows * width];
            var mask = new bool[rows * width];
            for (int row = 0; row < rows; row++)
            {
                for (int column = 0; column < width; column++)
                {
                    int index = row * width + column;
                    bool real = column < responses[row].Count;
                    tokens[index] = real ? responses[row][column] : padId;
                    mask[index] = real;
                }
            }

            using var responseTokens = tensor(tokens, [rows, width], device: device);
            using var responseMask = tensor(mask, [rows, width], device: device);
            return (cat([promptTokens, responseTokens], 1), cat([promptMask, responseMask], 1), (int)promptTokens.shape[1]);
        }
    }
}
