using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// Decodes a <see cref="T5Model"/> step by step: the prompts are encoded once, and the decoder
/// starts from <see cref="T5Options.DecoderStartTokenId"/> in every row.
/// </summary>
internal sealed class T5HiddenStateDecoder : HiddenStateDecoder
{
    private readonly T5Model _model;
    private readonly IProjectionUpdate? _update;
    private readonly T5DecoderCache? _cache;
    private Tensor? _encoderStates;    // [B, S, H]
    private Tensor? _encoderMask;      // [B, S] bool
    private Tensor? _decoderTokens;    // [B, T] int64, kept only without a cache

    public T5HiddenStateDecoder(T5Model model, IProjectionUpdate? update, bool useCache)
        : base(model)
    {
        _model = model;
        _update = update;
        _cache = useCache ? model.CreateCache() : null;
    }

    protected override Tensor ReadPrompt(Tensor promptTokens, Tensor promptMask)
    {
        _encoderStates = Keep(_model.Encode(promptTokens, promptMask, _update));                   // [B, S, H]
        _encoderMask = Keep(promptMask.alias());
        var start = full([promptTokens.shape[0], 1], (long)_model.Options.DecoderStartTokenId, dtype: int64, device: promptTokens.device);
        if (_cache is null)
        {
            _decoderTokens = Keep(start.alias());
        }

        var hidden = _model.DecodeHidden(start, _encoderStates, _encoderMask, _cache, _update);     // [B, 1, H]
        return hidden[.., -1];                                                                     // [B, H]
    }

    protected override Tensor ReadNext(Tensor nextTokens)
    {
        if (_cache is not null)
        {
            var cached = _model.DecodeHidden(nextTokens, _encoderStates!, _encoderMask!, _cache, _update);   // [B, 1, H]
            return cached[.., -1];
        }

        Replace(ref _decoderTokens, cat([_decoderTokens!, nextTokens], 1));
        var hidden = _model.DecodeHidden(_decoderTokens!, _encoderStates!, _encoderMask!, null, _update);     // [B, T, H]
        return hidden[.., -1];                                                                                // [B, H]
    }

    protected override void ReleaseState()
    {
        _cache?.Dispose();
        _encoderStates?.Dispose();
        _encoderMask?.Dispose();
        _decoderTokens?.Dispose();
        _encoderStates = _encoderMask = _decoderTokens = null;
    }
}
