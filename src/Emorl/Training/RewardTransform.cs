namespace Emorl.Training;

/// <summary>How each objective's score s in [0, 1] becomes that objective's reward.</summary>
public enum RewardTransform
{
    /// <summary>r = log(clip(s, floor, ceiling)), EMORL's and DynaOpt's reward.</summary>
    LogClipped,

    /// <summary>r = clip(s, floor, ceiling): the score itself.</summary>
    Clipped,
}
