using System;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// Decodes a <see cref="T5Model"/> step by step: the prompts are encoded once, and the decoder
/// starts from <see cref="T5Options.DecoderStartTokenId"/> in every row.
/// </summary>
internal sealed class T5HiddenStateDecoder : IHiddenStateDecoder
{
    private readonly T5Model _model;
    private readonly IProjectionUpdate? _update;
    private readonly T5DecoderCache? _cache;
    private Tensor? _encoderStates;    // [B, S, H]
    private Tensor? _encoderMask;      // [B, S] bool
    private Tensor? _decoderTokens;    // [B, T] int64, kept only without a cache

    private bool _disposed;

    public T5HiddenStateDecoder(T5Model model, IProjectionUpdate? update, bool useCache)
    {
        _model = model;
        _update = update;
        _cache = useCache ? model.CreateCache() : null;
    }

    public Tensor Prefill(Tensor promptTokens, Tensor promptMask)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _model.ValidatePrompt(promptTokens, promptMask);
        if (_encoderStates is not null)
        {
            throw new InvalidOperationException("The decoder has already read its prompts; start a new decoder for other prompts.");
        }

        using var scope = NewDisposeScope();
        var mask = promptMask.to(ScalarType.Bool);
        _encoderStates = _model.Encode(promptTokens, mask, _update).DetachFromDisposeScope();     // [B, S, H]
        _encoderMask = mask.DetachFromDisposeScope();
        var start = full([promptTokens.shape[0], 1], (long)_model.Options.DecoderStartTokenId, dtype: int64, device: promptTokens.device);
        if (_cache is null)
        {
            _decoderTokens = start.alias().DetachFromDisposeScope();
        }

        var hidden = _model.DecodeHidden(start, _encoderStates, _encoderMask, _cache, _update);   // [B, 1, H]
        return hidden[.., -1].MoveToOuterDisposeScope();                                         // [B, H]
    }

    public Tensor Advance(Tensor nextTokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(nextTokens);
        if (_encoderStates is null || _encoderMask is null)
        {
            throw new InvalidOperationException("Call Prefill with the prompts before Advance.");
        }

        _model.ValidateNextTokens(nextTokens, _encoderMask.shape[0]);

        using var scope = NewDisposeScope();
        Tensor hidden;
        if (_cache is not null)
        {
            hidden = _model.DecodeHidden(nextTokens, _encoderStates, _encoderMask, _cache, _update);   // [B, 1, H]
        }
        else
        {
            var previous = _decoderTokens!;
            _decoderTokens = cat([previous, nextTokens], 1).DetachFromDisposeScope();
            previous.Dispose();
            hidden = _model.DecodeHidden(_decoderTokens, _encoderStates, _encoderMask, null, _update);   // [B, T, H]
        }

        return hidden[.., -1].MoveToOuterDisposeScope();                                             // [B, H]
    }

    public void Dispose()
    {
        _disposed = true;
        _cache?.Dispose();
        _encoderStates?.Dispose();
        _encoderMask?.Dispose();
        _decoderTokens?.Dispose();
        _encoderStates = _encoderMask = _decoderTokens = null;
    }
}
