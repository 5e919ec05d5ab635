namespace Emorl.Data;

/// <summary>A client utterance and the therapist's reflection that directly follows it.</summary>
/// <param name="ClientUtterance">The client's utterance, trimmed.</param>
/// <param name="Reflection">The therapist's next utterance, annotated as a reflection, trimmed.</param>
public sealed record ClientReflectionPair(string ClientUtterance, string Reflection);
