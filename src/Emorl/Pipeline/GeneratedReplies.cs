using System.Collections.Generic;

namespace Emorl.Pipeline;

/// <summary>The replies of one <see cref="ObjectiveEnsemble"/> generation call and whether it ran to its end.</summary>
/// <param name="Replies">
/// One reply per statement, in input order. When <paramref name="IsPartial"/> is true, a reply
/// that had not ended is the text of the tokens picked before cancellation, which may be empty.
/// </param>
/// <param name="Steps">Decoding steps done; each picked one token for every unfinished reply.</param>
/// <param name="IsPartial">True when cancellation stopped decoding before every reply ended.</param>
public sealed record GeneratedReplies(IReadOnlyList<string> Replies, int Steps, bool IsPartial);
