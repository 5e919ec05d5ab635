using System;

namespace Emorl.Data;

/// <summary>
/// A seeker post and a response with the response's EPITOME empathy levels.
/// </summary>
/// <remarks>
/// EPITOME (Sharma et al., "A Computational Approach to Understanding Empathy Expressed in
/// Text-Based Mental Health Support", EMNLP 2020) rates three communication mechanisms of empathy,
/// each as 0 (none), 1 (weak) or 2 (strong).
/// </remarks>
/// <param name="SeekerPost">The help seeker's post.</param>
/// <param name="ResponsePost">The response to it.</param>
/// <param name="EmotionalReactions">The emotional-reactions level, 0 to 2.</param>
/// <param name="Interpretations">The interpretations level, 0 to 2.</param>
/// <param name="Explorations">The explorations level, 0 to 2.</param>
/// <exception cref="ArgumentOutOfRangeException">
/// A level is outside 0 to 2, at construction or in a <c>with</c> expression.
/// </exception>
public sealed record EmpathyRecord(
    string SeekerPost,
    string ResponsePost,
    int EmotionalReactions,
    int Interpretations,
    int Explorations)
{
    /// <summary>The highest level of one mechanism.</summary>
    public const int MaxLevel = 2;

    /// <summary>The highest <see cref="Total"/>: three mechanisms at <see cref="MaxLevel"/>.</summary>
    public const int MaxTotal = 3 * MaxLevel;

    /// <summary>Gets the help seeker's post.</summary>
    public string SeekerPost { get; init; } = SeekerPost ?? throw new ArgumentNullException(nameof(SeekerPost));

    /// <summary>Gets the response to the seeker post.</summary>
    public string ResponsePost { get; init; } =
        ResponsePost ?? throw new ArgumentNullException(nameof(ResponsePost));

    /// <summary>Gets the emotional-reactions level, 0 to 2.</summary>
    public int EmotionalReactions
    {
        get;
        init => field = CheckLevel(value, nameof(EmotionalReactions));
    } = CheckLevel(EmotionalReactions, nameof(EmotionalReactions));

    /// <summary>Gets the interpretations level, 0 to 2.</summary>
    public int Interpretations
    {
        get;
        init => field = CheckLevel(value, nameof(Interpretations));
    } = CheckLevel(Interpretations, nameof(Interpretations));

    /// <summary>Gets the explorations level, 0 to 2.</summary>
    public int Explorations
    {
        get;
        init => field = CheckLevel(value, nameof(Explorations));
    } = CheckLevel(Explorations, nameof(Explorations));

    /// <summary>Gets the sum of the three levels, 0 to 6.</summary>
    public int Total => EmotionalReactions + Interpretations + Explorations;

    /// <summary>Gets <see cref="Total"/> divided by 6, in [0, 1]: the empathy label a reward model learns.</summary>
    public double Score => Total / (double)MaxTotal;

    private static int CheckLevel(int level, string name)
    {
        if (level is < 0 or > MaxLevel)
        {
            throw new ArgumentOutOfRangeException(
                name,
                level,
                $"{name} is {level} but an EPITOME level must be 0, 1 or 2.");
        }

        return level;
    }
}
