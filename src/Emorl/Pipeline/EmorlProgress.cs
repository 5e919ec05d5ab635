namespace Emorl.Pipeline;

/// <summary>Progress of one stage of an EMORL run, reported after each step of work.</summary>
/// <param name="Stage">The stage that is running.</param>
/// <param name="Name">What runs: <c>warm-up</c>, an objective's name, <c>search</c> or <c>evaluation</c>.</param>
/// <param name="Completed">
/// Units done: optimizer steps (warm-up, training), grid-point visits (search) or statements (evaluation).
/// </param>
/// <param name="Total">
/// Units the stage does at most. Training may stop earlier when it converges, and then reports
/// <paramref name="Completed"/> equal to <paramref name="Total"/> at its end.
/// </param>
/// <param name="Value">
/// The latest warm-up loss, validation score, best search score or evaluation mean, or null before the first.
/// </param>
public sealed record EmorlProgress(EmorlStage Stage, string Name, int Completed, int Total, double? Value)
{
    /// <summary>Gets whether the stage has finished.</summary>
    public bool IsComplete => Completed >= Total;
}
