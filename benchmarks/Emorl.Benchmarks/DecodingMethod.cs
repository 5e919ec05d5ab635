namespace Emorl.Benchmarks;

/// <summary>How K objective models produce one next-token distribution.</summary>
public enum DecodingMethod
{
    /// <summary>Hidden-state aggregation, K adapters stacked in one base pass with one KV cache.</summary>
    HiddenStacked,

    /// <summary>Hidden-state aggregation, one pass and one KV cache per model.</summary>
    HiddenSeparate,

    /// <summary>Probability mixture of K LM heads over the stacked pass.</summary>
    Logits,

    /// <summary>
    /// One model with the adapters merged into its weights (parameter aggregation). A merged model
    /// has the base model's shapes and cost, so the benchmark runs the base model in its place.
    /// </summary>
    Merged,

    /// <summary>EMORL's reference behaviour: every model re-reads the whole prefix every step, no cache.</summary>
    ReferenceNoCache,
}
