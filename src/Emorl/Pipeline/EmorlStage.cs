namespace Emorl.Pipeline;

/// <summary>The long stages of an EMORL run, as reported by <see cref="EmorlProgress"/>.</summary>
public enum EmorlStage
{
    /// <summary>Supervised warm-up of the base model.</summary>
    Warmup,

    /// <summary>RL training of one objective's adapter (k-SCST by default).</summary>
    ObjectiveTraining,

    /// <summary>Hierarchical grid search of the aggregation weights.</summary>
    WeightSearch,

    /// <summary>Generation and scoring of a set of statements.</summary>
    Evaluation,
}
