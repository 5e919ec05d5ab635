using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>
/// Autoregressive decoding shared by single models and aggregates: prefill the prompts, then pick
/// one token per row per step until every row has emitted end-of-text or the budget is spent.
/// </summary>
internal static class DecodingLoop
{
    /// <summary>The end-of-text id that no token matches, so every row runs to MaxNewTokens.</summary>
    public const int NoEndOfText = -1;

    /// <summary>
    /// Generates responses; each row stops at its own end-of-text, which is not returned. When
    /// cancellation is requested, decoding stops before the next step and the tokens picked so far
    /// are returned with <see cref="GenerationResult.IsPartial"/> set.
    /// </summary>
    public static GenerationResult Run(
        INextTokenSource source,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        int endOfTextId,
        Models.GenerationOptions options,
        Generator? generator,
        IProgress<GenerationProgress>? progress,
        CancellationToken cancellationToken)
    {
        options.Validate();
        ValidateTokenIds(prompts, source.VocabularySize);
        ValidateEndOfText(endOfTextId, source.VocabularySize);
        ValidateLimitKeepsEndOfText(endOfTextId, options.VocabularyLimit);
        CheckContext(prompts, options.MaxNewTokens, source.ContextLength);
        int rows = prompts.Count;
        var responses = new List<int>[rows];
        for (int row = 0; row < rows; row++)
        {
            responses[row] = new List<int>(options.MaxNewTokens);
        }

        using var outer = NewDisposeScope();
        using var noGrad = no_grad();
        // With no end-of-text (-1) the padding still needs an id the embedding has, and masked positions ignore it.
        var (tokens, promptMask) = PromptBatch.Create(prompts, Math.Max(endOfTextId, 0), source.Device);
        var finished = new bool[rows];
        int finishedCount = 0;
        int steps = 0;
        bool isPartial = false;
        var logits = source.Begin(tokens, promptMask, options.UseCache);                  // [B, V]
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                isPartial = true;
                break;
            }

            using var stepScope = NewDisposeScope();
            var picked = TokenPicker.Pick(logits, options, generator).data<long>().ToArray();
            bool allFinished = RecordPicks(picked, finished, responses, endOfTextId, ref finishedCount);
            steps = step + 1;
            progress?.Report(new GenerationProgress(steps, options.MaxNewTokens, finishedCount, rows));
            if (allFinished || step == options.MaxNewTokens - 1)
            {
                break;
            }

            var newTokens = tensor(picked, [rows, 1], device: source.Device);
            logits = Replace(logits, source.Next(newTokens));                                 // [B, V]
        }

        var result = new int[rows][];
        for (int row = 0; row < rows; row++)
        {
            result[row] = responses[row].ToArray();
        }

        return new GenerationResult(result, steps, isPartial);
    }

    /// <summary>
    /// Runs <see cref="Run"/> and logs the outcome: the step count and time at Debug, and a
    /// cancellation at Information. No message carries token ids or text.
    /// </summary>
    public static GenerationResult RunAndLog(
        INextTokenSource source,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        int endOfTextId,
        Models.GenerationOptions options,
        Generator? generator,
        IProgress<GenerationProgress>? progress,
        ILogger logger,
        IReadOnlyList<double> weights,
        CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        var result = Run(source, prompts, endOfTextId, options, generator, progress, cancellationToken);
        int tokens = result.Responses.Sum(r => r.Length);
        if (result.IsPartial)
        {
            GenerationLog.Canceled(logger, result.Steps, options.MaxNewTokens, tokens, prompts.Count);
        }
        else
        {
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            GenerationLog.Generated(logger, tokens, prompts.Count, result.Steps, elapsedMs, weights);
        }

        return result;
    }

    /// <summary>Returns the responses of a finished generation, or throws when cancellation cut it short.</summary>
    /// <exception cref="OperationCanceledException">The generation is partial.</exception>
    public static IReadOnlyList<int[]> RequireComplete(GenerationResult result, CancellationToken cancellationToken)
    {
        if (result.IsPartial)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return result.Responses;
    }

    /// <summary>
    /// Appends each unfinished row's picked token to its response, marks rows that picked
    /// end-of-text as finished, and replaces finished rows' picks with end-of-text (their padding).
    /// Returns whether every row has finished.
    /// </summary>
    private static bool RecordPicks(
        long[] picked, bool[] finished, List<int>[] responses, int endOfTextId, ref int finishedCount)
    {
        bool allFinished = true;
        for (int row = 0; row < picked.Length; row++)
        {
            if (finished[row] || picked[row] == endOfTextId)
            {
                finishedCount += finished[row] ? 0 : 1;
                finished[row] = true;
                picked[row] = endOfTextId;
                continue;
            }

            responses[row].Add((int)picked[row]);
            allFinished = false;
        }

        return allFinished;
    }

    private static void ValidateTokenIds(IReadOnlyList<IReadOnlyList<int>> prompts, int vocabularySize)
    {
        for (int row = 0; row < prompts.Count; row++)
        {
            var prompt = prompts[row] ?? throw new ArgumentException($"Prompt {row} is null; pass token ids for every prompt.", nameof(prompts));
            for (int position = 0; position < prompt.Count; position++)
            {
                if (prompt[position] < 0 || prompt[position] >= vocabularySize)
                {
                    throw new ArgumentException(
                        $"Prompt {row} has token id {prompt[position]} at position {position}, outside the model's vocabulary " +
                        $"[0, {vocabularySize}); encode prompts with the tokenizer the model was trained with.", nameof(prompts));
                }
            }
        }
    }

    /// <summary>
    /// Rejects an end-of-text id that the model cannot emit, other than -1 for none: such an id would
    /// pad prompts with an id the embedding has no row for, which fails natively.
    /// </summary>
    private static void ValidateEndOfText(int endOfTextId, int vocabularySize)
    {
        if (endOfTextId < NoEndOfText || endOfTextId >= vocabularySize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(endOfTextId),
                endOfTextId,
                $"The end-of-text id {endOfTextId} is outside the model's vocabulary [0, {vocabularySize}); pass the "
                + $"EndOfTextId of the tokenizer the model was built with, or {NoEndOfText} to generate MaxNewTokens tokens in every row.");
        }
    }

    /// <summary>
    /// Rejects a vocabulary limit at or below the end-of-text id: no row could then pick end-of-text,
    /// so every row would run to MaxNewTokens without a word of warning.
    /// </summary>
    private static void ValidateLimitKeepsEndOfText(int endOfTextId, int? vocabularyLimit)
    {
        if (vocabularyLimit is int limit && endOfTextId >= limit)
        {
            throw new ArgumentException(
                $"GenerationOptions.VocabularyLimit is {limit}, so the end-of-text id {endOfTextId} can never be picked and "
                + $"no row would stop early. Set VocabularyLimit above {endOfTextId} (the tokenizer's VocabularySize), or pass "
                + $"{NoEndOfText} as the end-of-text id to generate MaxNewTokens tokens in every row.",
                nameof(vocabularyLimit));
        }
    }

    /// <summary>
    /// Rejects a batch whose longest prompt plus the new tokens the model reads back would exceed
    /// the context, before any work is done, instead of failing part-way through decoding.
    /// </summary>
    private static void CheckContext(IReadOnlyList<IReadOnlyList<int>> prompts, int maxNewTokens, int contextLength)
    {
        int longest = 0;
        for (int row = 1; row < prompts.Count; row++)
        {
            if (prompts[row].Count > prompts[longest].Count)
            {
                longest = row;
            }
        }

        // The last new token is returned but never read back, so the model reads MaxNewTokens - 1 of them.
        int needed = prompts.Count == 0 ? 0 : prompts[longest].Count + maxNewTokens - 1;
        if (needed > contextLength)
        {
            throw new ArgumentException(
                $"Prompt {longest} has {prompts[longest].Count} tokens, and with MaxNewTokens {maxNewTokens} decoding would "
                + $"read {needed} positions, beyond the model's context of {contextLength}. Encode statements with a "
                + "PromptTemplate whose MaxPromptTokens leaves room for the new tokens (it cuts long statements from "
                + "the left), or lower MaxNewTokens.",
                nameof(prompts));
        }
    }

    /// <summary>
    /// Moves a step's tensor that later steps read out of the step's scope and releases the one it
    /// replaces, so a long generation keeps a constant number of live tensors.
    /// </summary>
    private static Tensor Replace(Tensor previous, Tensor next)
    {
        next.MoveToOuterDisposeScope();
        previous.Dispose();
        return next;
    }
}
