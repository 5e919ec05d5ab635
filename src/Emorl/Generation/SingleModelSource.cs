using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>Hidden states of one objective model, with its own KV cache.</summary>
internal sealed class SingleModelSource : INextTokenSource
{
    private readonly IObjectiveModel _model;
    private KeyValueCache? _cache;

    public SingleModelSource(IObjectiveModel model)
    {
        _model = model;
    }

    public Device Device => _model.SharedBase.Device;

    public int VocabularySize => _model.SharedBase.Options.VocabularySize;

    public int ContextLength => _model.SharedBase.Options.ContextLength;

    public void Begin(bool useCache)
    {
        _cache?.Dispose();
        _cache = useCache ? _model.SharedBase.CreateCache() : null;
    }

    public Tensor NextTokenLogits(Tensor tokens, Tensor positions, Tensor keyMask)
    {
        using var hidden = _model.ForwardHidden(tokens, positions, keyMask, _cache);   // [B, T, H]
        using var last = hidden[.., -1, ..];                                           // [B, H]
        return _model.SharedBase.LanguageModelHead(last);                              // [B, V]
    }

    public void Dispose()
    {
        _cache?.Dispose();
        _cache = null;
    }
}
