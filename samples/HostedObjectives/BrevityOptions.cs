namespace HostedObjectives;

/// <summary>Settings of <see cref="BrevityReward"/>, bound from the <c>Brevity</c> section.</summary>
internal sealed class BrevityOptions
{
    /// <summary>Gets or sets the reply length, in words, that scores 1. Default 10, at least 1.</summary>
    public int TargetWords { get; set; } = 10;
}
