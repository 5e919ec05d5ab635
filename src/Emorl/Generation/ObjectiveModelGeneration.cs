using System;
using System.Collections.Generic;
using System.Threading;
using Emorl.Models;
using Emorl.Objectives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>Generates responses with one objective model.</summary>
public static class ObjectiveModelGeneration
{
    /// <summary>Generates one response per prompt; each row stops at its own end-of-text.</summary>
    /// <param name="model">The model to decode with; put it in evaluation mode first.</param>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="endOfTextId">The id that ends a response, also used for padding, or -1 for none.</param>
    /// <param name="options">Greedy or sampling settings; validated here.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested before decoding finished.</exception>
    public static IReadOnlyList<int[]> Generate(
        this IObjectiveModel model,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        int endOfTextId,
        GenerationOptions options,
        long? seed = null,
        CancellationToken cancellationToken = default) =>
        DecodingLoop.RequireComplete(
            model.Generate(prompts, endOfTextId, options, progress: null, seed, logger: null, cancellationToken),
            cancellationToken);

    /// <summary>
    /// Generates one response per prompt, reporting each decoding step, and returns the tokens
    /// picked so far when cancellation is requested.
    /// </summary>
    /// <param name="model">The model to decode with; put it in evaluation mode first.</param>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="endOfTextId">The id that ends a response, also used for padding, or -1 for none.</param>
    /// <param name="options">Greedy or sampling settings; validated here.</param>
    /// <param name="progress">Receives the step count after each decoding step, on the calling thread, or null.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="logger">
    /// Logs the step count and time (debug) and a cancellation (information), or null for none. It
    /// never logs tokens or text.
    /// </param>
    /// <param name="cancellationToken">
    /// Checked before each decoding step. Once it is canceled, no further token is picked and the
    /// method returns normally.
    /// </param>
    /// <returns>
    /// The new tokens of each row, end-of-text excluded, and the steps done. After cancellation
    /// <see cref="GenerationResult.IsPartial"/> is true and each unfinished row contains the tokens
    /// picked before it, which may be none.
    /// </returns>
    public static GenerationResult Generate(
        this IObjectiveModel model,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        int endOfTextId,
        GenerationOptions options,
        IProgress<GenerationProgress>? progress,
        long? seed = null,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        using var source = new SingleModelSource(model);
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        return DecodingLoop.RunAndLog(
            source,
            prompts,
            endOfTextId,
            options,
            generator,
            progress,
            logger ?? NullLogger.Instance,
            [1.0],
            cancellationToken);
    }
}
