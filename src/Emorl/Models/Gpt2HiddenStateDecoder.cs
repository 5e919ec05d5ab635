using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// Decodes a <see cref="Gpt2Model"/> step by step: prompt and new tokens form one sequence whose
/// position ids continue each row's prompt and whose key mask hides the prompt's left padding.
/// </summary>
internal sealed class Gpt2HiddenStateDecoder : HiddenStateDecoder
{
    private readonly Gpt2Model _model;
    private readonly IProjectionUpdate? _update;
    private readonly KeyValueCache? _cache;
    private Tensor? _keyMask;          // [B, L] bool
    private Tensor? _nextPositions;    // [B, 1] int64
    private Tensor? _tokens;           // [B, L] int64, kept only without a cache
    private Tensor? _positions;        // [B, L] int64, kept only without a cache

    public Gpt2HiddenStateDecoder(Gpt2Model model, IProjectionUpdate? update, bool useCache)
        : base(model)
    {
        _model = model;
        _update = update;
        _cache = useCache ? model.CreateCache() : null;
    }

    protected override Tensor ReadPrompt(Tensor promptTokens, Tensor promptMask)
    {
        var positions = Gpt2Model.PromptPositions(promptMask);                                     // [B, S]
        var hidden = _model.ForwardHidden(promptTokens, positions, promptMask, _cache, _update);   // [B, S, H]
        _nextPositions = Keep(positions[.., ^1..] + 1);
        _keyMask = Keep(promptMask.alias());
        if (_cache is null)
        {
            _tokens = Keep(promptTokens.alias());
            _positions = Keep(positions);
        }

        return hidden[.., -1];                                                                    // [B, H]
    }

    protected override Tensor ReadNext(Tensor nextTokens)
    {
        var newMask = ones([nextTokens.shape[0], 1], ScalarType.Bool, device: nextTokens.device);
        var keyMask = cat([_keyMask!, newMask], 1);
        Tensor hidden;
        if (_cache is not null)
        {
            hidden = _model.ForwardHidden(nextTokens, _nextPositions!, keyMask, _cache, _update);   // [B, 1, H]
        }
        else
        {
            Replace(ref _tokens, cat([_tokens!, nextTokens], 1));
            Replace(ref _positions, cat([_positions!, _nextPositions!], 1));
            hidden = _model.ForwardHidden(_tokens!, _positions!, keyMask, null, _update);            // [B, L, H]
        }

        Replace(ref _keyMask, keyMask);
        Replace(ref _nextPositions, _nextPositions! + 1);
        return hidden[.., -1];                                                                      // [B, H]
    }

    protected override void ReleaseState()
    {
        _cache?.Dispose();
        _keyMask?.Dispose();
        _nextPositions?.Dispose();
        _tokens?.Dispose();
        _positions?.Dispose();
        _keyMask = _nextPositions = _tokens = _positions = null;
    }
}
