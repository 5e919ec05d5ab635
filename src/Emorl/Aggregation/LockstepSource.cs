using static TorchSharp.torch;
using Emorl.Generation;

namespace Emorl.Aggregation;

/// <summary>
/// Next-token scores of K lock-step models: each decoding step reads every model's last hidden
/// state, [K, B, H], and combines them into scores, [B, V].
/// </summary>
internal abstract class LockstepSource : INextTokenSource
{
    private LockstepModels.Run? _run;

    protected LockstepSource(LockstepModels ensemble)
    {
        Ensemble = ensemble;
    }

    public Device Device => Ensemble.Head.Device;

    public int VocabularySize => Ensemble.Head.VocabularySize;

    public int ContextLength => Ensemble.Head.ContextLength;

    protected LockstepModels Ensemble { get; }

    public Tensor Begin(Tensor promptTokens, Tensor promptMask, bool useCache)
    {
        _run?.Dispose();
        _run = Ensemble.Begin(useCache);
        using var last = _run.Prefill(promptTokens, promptMask);                               // [K, B, H]
        return Combine(last);                                                                  // [B, V]
    }

    public Tensor Next(Tensor nextTokens)
    {
        using var last = _run!.Advance(nextTokens);                                               // [K, B, H]
        return Combine(last);                                                                  // [B, V]
    }

    public virtual void Dispose()
    {
        _run?.Dispose();
        _run = null;
    }

    /// <summary>Turns the K models' last hidden states, [K, B, H], into next-token scores, [B, V].</summary>
    protected abstract Tensor Combine(Tensor lastHidden);
}
