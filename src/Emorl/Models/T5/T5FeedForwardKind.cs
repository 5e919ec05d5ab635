namespace Emorl.Models.T5;

/// <summary>The feed-forward block of a T5 layer, Hugging Face's <c>feed_forward_proj</c>.</summary>
public enum T5FeedForwardKind
{
    /// <summary>
    /// <c>"relu"</c>: wo(relu(wi x)), as in the original T5 (t5-small, t5-base, ...).
    /// </summary>
    Relu,

    /// <summary>
    /// <c>"gated-gelu"</c>: wo(gelu(wi_0 x) ⊙ wi_1 x) with the tanh approximation of GELU, as in
    /// T5 v1.1 and Flan-T5.
    /// </summary>
    GatedGelu,
}
