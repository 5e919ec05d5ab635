namespace Emorl.Rewards;

/// <summary>A client prompt and one response to it.</summary>
/// <param name="Prompt">The client's statement.</param>
/// <param name="Response">The counselor's (or the model's) reply.</param>
public sealed record PromptResponse(string Prompt, string Response);
