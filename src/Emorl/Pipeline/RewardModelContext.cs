using Emorl.Models;
using Emorl.Tokenization;

namespace Emorl.Pipeline;

/// <summary>
/// What a reward model may need that exists only once a run has started: the frozen base model and
/// the prompt template. <see cref="Rewards.PerplexityFluencyReward"/> is an example.
/// </summary>
/// <param name="BaseModel">The frozen base model that every objective model shares.</param>
/// <param name="Template">Encodes statements into prompts and decodes responses for the base model.</param>
public sealed record RewardModelContext(AdaptableLanguageModel BaseModel, PromptTemplate Template);
