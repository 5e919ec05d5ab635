using Emorl.Models;
using Emorl.Objectives;
using static TorchSharp.torch;

namespace Emorl.Generation;

/// <summary>Hidden states of one objective model, with its own KV cache.</summary>
internal sealed class SingleModelSource : IHiddenStateSource
{
    private readonly IObjectiveModel _model;
    private KeyValueCache? _cache;

    public SingleModelSource(IObjectiveModel model)
    {
        _model = model;
    }

    public Gpt2Model Head => _model.SharedBase;

    public void Begin(bool useCache)
    {
        _cache?.Dispose();
        _cache = useCache ? _model.SharedBase.CreateCache() : null;
    }

    public Tensor Forward(Tensor tokens, Tensor positions, Tensor keyMask) =>
        _model.ForwardHidden(tokens, positions, keyMask, _cache);

    public void Dispose()
    {
        _cache?.Dispose();
        _cache = null;
    }
}
