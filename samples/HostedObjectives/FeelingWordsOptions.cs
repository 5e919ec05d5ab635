namespace HostedObjectives;

/// <summary>Settings of <see cref="FeelingWordsReward"/>, bound from the <c>FeelingWords</c> section.</summary>
internal sealed class FeelingWordsOptions
{
    /// <summary>Gets or sets the words that count, matched whole and case-insensitively. At least one.</summary>
    public string[] Words { get; set; } = [];

    /// <summary>Gets or sets how many distinct words a reply needs for the full score. Default 2, at least 1.</summary>
    public int TargetCount { get; set; } = 2;
}
