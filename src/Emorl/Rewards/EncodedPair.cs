using System.Collections.Generic;

namespace Emorl.Rewards;

/// <summary>One prompt and response after tokenization, truncation and vocabulary compaction.</summary>
/// <param name="PromptIds">Compact ids of the prompt's last tokens.</param>
/// <param name="ResponseIds">Compact ids of the response's first tokens.</param>
/// <param name="Features">The hand-made features, <see cref="PairEncoder.FeatureCount"/> of them.</param>
internal sealed record EncodedPair(IReadOnlyList<int> PromptIds, IReadOnlyList<int> ResponseIds, float[] Features);
