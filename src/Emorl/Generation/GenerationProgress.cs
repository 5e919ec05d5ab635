namespace Emorl.Generation;

/// <summary>Progress of one generation call, reported after each decoding step.</summary>
/// <param name="Step">
/// Decoding steps done, each picking one token per unfinished row, in [1, <paramref name="MaxSteps"/>].
/// </param>
/// <param name="MaxSteps">The step budget, <see cref="Models.GenerationOptions.MaxNewTokens"/>.</param>
/// <param name="FinishedRows">Rows that have picked end-of-text so far.</param>
/// <param name="Rows">Rows in the batch, one per prompt.</param>
public sealed record GenerationProgress(int Step, int MaxSteps, int FinishedRows, int Rows);
