using System;
using System.Collections.Generic;
using System.Threading;
using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>Generates responses with one objective model.</summary>
public static class ObjectiveModelGeneration
{
    /// <summary>Generates one response per prompt; each row stops at its own end-of-text.</summary>
    /// <param name="model">The model to decode with; put it in evaluation mode first.</param>
    /// <param name="prompts">Prompt token ids, each non-empty.</param>
    /// <param name="endOfTextId">The id that ends a response; also used for padding.</param>
    /// <param name="options">Greedy or sampling settings; validated here.</param>
    /// <param name="seed">Seed for sampling, or null to use the global generator.</param>
    /// <param name="cancellationToken">Checked before each new token.</param>
    /// <returns>The new tokens of each row, end-of-text excluded.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static IReadOnlyList<int[]> Generate(
        this IObjectiveModel model,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        int endOfTextId,
        GenerationOptions options,
        long? seed = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        using var source = new SingleModelSource(model);
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        return DecodingLoop.Run(source, prompts, endOfTextId, options, generator, cancellationToken);
    }
}
