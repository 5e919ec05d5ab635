namespace Emorl.Data;

/// <summary>A counselor response with its quality level.</summary>
/// <param name="Text">The response text.</param>
/// <param name="Level">The response's quality level.</param>
public sealed record GradedResponse(string Text, ResponseQuality Level);
