namespace Emorl.Data;

/// <summary>
/// The quality level of a counselor response in PAIR, as used for reflection-scoring labels.
/// </summary>
/// <remarks>The numeric values are the labels a reflection reward model regresses on.</remarks>
public enum ResponseQuality
{
    /// <summary>A low-quality response (PAIR columns <c>lq1</c>..<c>lq5</c>), label 0.</summary>
    Low = 0,

    /// <summary>A medium-quality response, a simple reflection (PAIR column <c>mq1</c>), label 1.</summary>
    Medium = 1,

    /// <summary>A high-quality response, a complex reflection (PAIR columns <c>hq1</c>, <c>hq2</c>), label 2.</summary>
    High = 2,
}
