using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>Hidden states of one objective model, through its own decoder.</summary>
internal sealed class SingleModelSource : INextTokenSource
{
    private readonly IObjectiveModel _model;
    private IHiddenStateDecoder? _decoder;

    public SingleModelSource(IObjectiveModel model)
    {
        _model = model;
    }

    public Device Device => _model.SharedBase.Device;

    public int VocabularySize => _model.SharedBase.VocabularySize;

    public int ContextLength => _model.SharedBase.ContextLength;

    public Tensor Begin(Tensor promptTokens, Tensor promptMask, bool useCache)
    {
        _decoder?.Dispose();
        _decoder = _model.StartDecoding(useCache);
        using var hidden = _decoder.Prefill(promptTokens, promptMask);                 // [B, H]
        return _model.SharedBase.LanguageModelHead(hidden);                            // [B, V]
    }

    public Tensor Next(Tensor nextTokens)
    {
        using var hidden = _decoder!.Advance(nextTokens);                                 // [B, H]
        return _model.SharedBase.LanguageModelHead(hidden);                            // [B, V]
    }

    public void Dispose()
    {
        _decoder?.Dispose();
        _decoder = null;
    }
}
