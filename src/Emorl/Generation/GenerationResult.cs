using System.Collections.Generic;

namespace Emorl.Generation;

/// <summary>The responses of one generation call and whether it ran to its end.</summary>
/// <param name="Responses">
/// The new tokens of each row, one per prompt in input order, end-of-text excluded. When
/// <paramref name="IsPartial"/> is true, a row that had not finished contains the tokens picked before
/// cancellation, which may be none.
/// </param>
/// <param name="Steps">Decoding steps done; each picked one token for every unfinished row.</param>
/// <param name="IsPartial">
/// True when cancellation stopped decoding before every row picked end-of-text or the step budget
/// ran out.
/// </param>
public sealed record GenerationResult(IReadOnlyList<int[]> Responses, int Steps, bool IsPartial);
