using System;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// The checks and tensor lifetimes that every architecture's decoder shares: prompts are read once,
/// steps come after them, each call runs in its own dispose scope, and the state that later calls
/// read lives outside any scope until <see cref="Dispose"/>.
/// </summary>
internal abstract class HiddenStateDecoder : IHiddenStateDecoder
{
    private readonly AdaptableLanguageModel _model;
    private long? _batchSize;
    private bool _disposed;

    protected HiddenStateDecoder(AdaptableLanguageModel model)
    {
        _model = model;
    }

    public Tensor Prefill(Tensor promptTokens, Tensor promptMask)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _model.ValidatePrompt(promptTokens, promptMask);
        if (_batchSize is not null)
        {
            throw new InvalidOperationException("The decoder has already read its prompts; start a new decoder for other prompts.");
        }

        using var scope = NewDisposeScope();
        var hidden = ReadPrompt(promptTokens, promptMask.to(ScalarType.Bool));                  // [B, H]
        _batchSize = promptTokens.shape[0];
        return hidden.MoveToOuterDisposeScope();
    }

    public Tensor Advance(Tensor nextTokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(nextTokens);
        if (_batchSize is not long batchSize)
        {
            throw new InvalidOperationException("Call Prefill with the prompts before Advance.");
        }

        _model.ValidateNextTokens(nextTokens, batchSize);
        using var scope = NewDisposeScope();
        return ReadNext(nextTokens).MoveToOuterDisposeScope();                                   // [B, H]
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ReleaseState();
    }

    /// <summary>Reads the checked prompts, [B, S] ids and a [B, S] bool mask, inside a dispose scope.</summary>
    /// <returns>The state that predicts the first new token, [B, H].</returns>
    protected abstract Tensor ReadPrompt(Tensor promptTokens, Tensor promptMask);

    /// <summary>Reads one checked token per row, [B, 1], inside a dispose scope.</summary>
    /// <returns>The state that predicts the next token, [B, H].</returns>
    protected abstract Tensor ReadNext(Tensor nextTokens);

    /// <summary>Releases the caches and the tensors kept between calls.</summary>
    protected abstract void ReleaseState();

    /// <summary>Detaches a tensor from the current scope so that later calls can read it.</summary>
    protected static Tensor Keep(Tensor value) => value.DetachFromDisposeScope();

    /// <summary>Keeps <paramref name="value"/> in <paramref name="field"/> and releases the tensor it replaces.</summary>
    protected static void Replace(ref Tensor? field, Tensor value)
    {
        var previous = field;
        field = Keep(value);
        previous?.Dispose();
    }
}
