using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// A GPT-2-architecture causal language model whose last hidden state (after the final layer
/// norm) is available apart from the LM head, with optional LoRA adapters and a KV cache.
/// </summary>
/// <remarks>
/// Parameter names and layouts follow Hugging Face's <c>GPT2Model</c> (<c>wte</c>, <c>wpe</c>,
/// <c>h.N.attn.c_attn</c> with weights stored [in, out], <c>ln_f</c>). The LM head is tied to the
/// token embedding and has no bias, so it is linear: H(Σ w_k h_k) = Σ w_k H(h_k). Forward calls are
/// not thread-safe.
/// </remarks>
public sealed class Gpt2Model : AdaptableLanguageModel
{
    private readonly Embedding _tokenEmbedding;
    private readonly Embedding _positionEmbedding;
    private readonly Gpt2Block[] _blocks;
    private readonly LayerNorm _finalNorm;

    /// <summary>Creates a model with freshly initialised weights.</summary>
    /// <param name="options">The model's shape; validated here.</param>
    /// <param name="seed">Seed for weight initialisation.</param>
    public Gpt2Model(Gpt2Options options, long seed) : base("transformer")
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;

        using (var _ = NewDisposeScope())
        {
            manual_seed(seed);
        }

        _tokenEmbedding = nn.Embedding(options.VocabularySize, options.HiddenSize);
        _positionEmbedding = nn.Embedding(options.ContextLength, options.HiddenSize);
        using (no_grad())
        {
            nn.init.normal_(_tokenEmbedding.weight!, 0, 0.02);
            nn.init.normal_(_positionEmbedding.weight!, 0, 0.01);
        }

        _blocks = Enumerable.Range(0, options.LayerCount).Select(i => new Gpt2Block(i, options)).ToArray();
        _finalNorm = nn.LayerNorm(options.HiddenSize, options.LayerNormEpsilon);
        register_module("wte", _tokenEmbedding);
        register_module("wpe", _positionEmbedding);
        register_module("h", new NamedModules(_blocks
            .Select((block, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), (nn.Module)block))
            .ToArray()));
        register_module("ln_f", _finalNorm);
    }

    /// <summary>Gets the model's shape.</summary>
    public Gpt2Options Options { get; }

    /// <inheritdoc />
    public override string Architecture => "gpt2";

    /// <inheritdoc />
    public override Device Device => _tokenEmbedding.weight!.device;

    /// <inheritdoc />
    public override int VocabularySize => Options.VocabularySize;

    /// <inheritdoc />
    public override int HiddenSize => Options.HiddenSize;

    /// <inheritdoc />
    public override int ContextLength => Options.ContextLength;

    /// <summary>Gets the tied token embedding, [V, H], which is also the LM head's weight.</summary>
    public Tensor TokenEmbedding => _tokenEmbedding.weight!;

    /// <summary>Creates an empty KV cache sized for this model.</summary>
    /// <returns>A new cache; the caller owns it.</returns>
    public KeyValueCache CreateCache() => new(Options.LayerCount);

    /// <summary>Runs the transformer and returns the last hidden state after the final layer norm.</summary>
    /// <param name="tokens">Token ids, [B, T], int64.</param>
    /// <param name="positions">Position ids, [B, T], int64, each below <see cref="Gpt2Options.ContextLength"/>.</param>
    /// <param name="keyMask">Which key positions hold real tokens, [B, Tk] bool with Tk = cached + T.</param>
    /// <param name="cache">KV cache to read and extend, or null to read only <paramref name="tokens"/>.</param>
    /// <param name="adapter">LoRA adapter to apply, or null for the base model.</param>
    /// <returns>Hidden states, [B, T, H] float32; the caller owns it.</returns>
    public Tensor ForwardHidden(Tensor tokens, Tensor positions, Tensor keyMask, KeyValueCache? cache, LoraAdapter? adapter) =>
        ForwardHidden(tokens, positions, keyMask, cache, (IProjectionUpdate?)adapter);

    /// <summary>Runs the transformer with any low-rank update, such as K stacked adapters.</summary>
    internal Tensor ForwardHidden(Tensor tokens, Tensor positions, Tensor keyMask, KeyValueCache? cache, IProjectionUpdate? adapter)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(keyMask);
        long time = tokens.shape[1];
        int past = cache?.Length ?? 0;
        if (keyMask.shape[1] != past + time)
        {
            throw new ArgumentException(
                $"keyMask covers {keyMask.shape[1]} positions but the cache holds {past} and {time} tokens are new; " +
                "pass a mask over every cached and new position.", nameof(keyMask));
        }

        if (past + time > Options.ContextLength)
        {
            throw new ArgumentException(
                $"The sequence would reach {past + time} tokens, beyond the model's context of {Options.ContextLength}; " +
                "truncate the prompt or lower the number of new tokens.", nameof(tokens));
        }

        using var mask = BuildAttentionMask(keyMask, past, time);                  // [B, 1, T, Tk]
        using var tokenVectors = _tokenEmbedding.forward(tokens);
        using var positionVectors = _positionEmbedding.forward(positions);
        var x = nn.functional.dropout(tokenVectors.add(positionVectors), Options.Dropout, training);
        for (int layer = 0; layer < _blocks.Length; layer++)
        {
            var next = _blocks[layer].Forward(x, mask, cache, layer, adapter);
            x.Dispose();
            x = next;
        }

        cache?.Advance((int)time);
        using (x)
        {
            return _finalNorm.forward(x);
        }
    }

    /// <summary>Applies the shared LM head (the tied token embedding, no bias).</summary>
    /// <param name="hidden">Hidden states, [.., H].</param>
    /// <returns>Logits, [.., V]; the caller owns it.</returns>
    public override Tensor LanguageModelHead(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        return matmul(hidden, _tokenEmbedding.weight!.t());
    }

    /// <summary>Lists every projection a LoRA adapter may adapt: path, input and output size.</summary>
    /// <returns>One entry per projection, in layer order.</returns>
    public override IEnumerable<(string Path, int InFeatures, int OutFeatures)> AdaptableProjections() =>
        _blocks.SelectMany(b => b.Projections).Select(p => (p.Path, p.InFeatures, p.OutFeatures));

    /// <inheritdoc />
    internal override IEnumerable<(string Path, Tensor Weight, bool InputMajor)> ProjectionWeights() =>
        _blocks.SelectMany(b => b.Projections).Select(p => (p.Path, p.Weight, true));

    /// <inheritdoc />
    internal override IHiddenStateDecoder StartDecoding(IProjectionUpdate? update, bool useCache) =>
        new Gpt2HiddenStateDecoder(this, update, useCache);

    /// <inheritdoc />
    internal override Tensor ContinuationHidden(Tensor promptTokens, Tensor promptMask, Tensor continuation, IProjectionUpdate? update)
    {
        ValidateContinuation(promptTokens, promptMask, continuation);
        using var scope = NewDisposeScope();
        int promptWidth = (int)promptTokens.shape[1];
        long width = continuation.shape[1];
        using var continuationMask = ones_like(continuation, dtype: ScalarType.Bool);
        var (tokens, positions, keyMask) = Concatenate(promptTokens, promptMask, continuation, continuationMask);
        var hidden = ForwardHidden(tokens, positions, keyMask, null, update);                    // [B, S + T, H]
        return hidden[.., (promptWidth - 1)..(int)(promptWidth + width - 1)].MoveToOuterDisposeScope();   // [B, T, H]
    }

    /// <summary>
    /// Language modelling over prompt and continuation: every real token after the first predicts
    /// the next, so the warm-up also learns the statements' own wording.
    /// </summary>
    internal override (Tensor LogProbabilities, Tensor Mask) WarmupTerms(
        Tensor promptTokens, Tensor promptMask, Tensor continuation, Tensor continuationMask, bool continuationOnly)
    {
        ValidateContinuation(promptTokens, promptMask, continuation);
        using var scope = NewDisposeScope();
        var (tokens, positions, keyMask) = Concatenate(promptTokens, promptMask, continuation, continuationMask);
        var hidden = ForwardHidden(tokens, positions, keyMask, null, (IProjectionUpdate?)null);  // [B, L, H]
        var logits = LanguageModelHead(hidden[.., ..^1]);                                          // [B, L-1, V]
        var logProbabilities = Tensors.PolicyGradientMath.TokenLogProbabilities(logits, tokens[.., 1..]);
        // A position counts when both it and the token it predicts are real text.
        var mask = keyMask[.., ..^1].logical_and(keyMask[.., 1..]);                                // [B, L-1]
        if (continuationOnly)
        {
            using var predictsContinuation = arange(tokens.shape[1] - 1, device: tokens.device).ge(promptTokens.shape[1] - 1);
            mask = mask.logical_and(predictsContinuation.unsqueeze(0));
        }

        return (logProbabilities.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    internal override string Describe() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"gpt2 with vocabulary {Options.VocabularySize}, hidden size {Options.HiddenSize}, {Options.LayerCount} layers, "
        + $"{Options.HeadCount} heads, context {Options.ContextLength}");

    /// <inheritdoc />
    internal override AdaptableLanguageModel CreateSameShape()
    {
        var model = new Gpt2Model(Options, seed: 0);
        return Device.type == DeviceType.CPU ? model : model.to(Device);
    }

    /// <summary>
    /// Position ids of left-padded prompts: 0 at each row's first real token, and 0 on padding.
    /// </summary>
    /// <param name="promptMask">[B, S] bool.</param>
    /// <returns>[B, S] int64; the caller owns it.</returns>
    internal static Tensor PromptPositions(Tensor promptMask)
    {
        using var counts = promptMask.to(int64).cumsum(1);
        return counts.sub(1).clamp_min_(0);
    }

    /// <summary>Joins prompts and right-padded continuations into tokens, position ids and a key mask, [B, S + T] each.</summary>
    private static (Tensor Tokens, Tensor Positions, Tensor KeyMask) Concatenate(
        Tensor promptTokens, Tensor promptMask, Tensor continuation, Tensor continuationMask)
    {
        using var promptPositions = PromptPositions(promptMask);                                   // [B, S]
        using var lengths = promptMask.to(int64).sum(1, keepdim: true);                            // [B, 1]
        using var offsets = arange(continuation.shape[1], device: continuation.device).unsqueeze(0);
        using var continuationPositions = lengths + offsets;                                       // [B, T]
        return (cat([promptTokens, continuation], 1), cat([promptPositions, continuationPositions], 1),
                cat([promptMask.to(ScalarType.Bool), continuationMask.to(ScalarType.Bool)], 1));
    }


    /// <summary>
    /// Builds the additive mask: a query at absolute position past + i may attend to key j when
    /// j ≤ past + i and key j is a real token. Each query may always attend to itself, so rows of padding
    /// never produce an all-masked softmax.
    /// </summary>
    private static Tensor BuildAttentionMask(Tensor keyMask, int past, long time)
    {
        long keys = keyMask.shape[1];
        using var queryPositions = arange(past, past + time, device: keyMask.device).unsqueeze(1);  // [T, 1]
        using var keyPositions = arange(keys, device: keyMask.device).unsqueeze(0);                // [1, Tk]
        using var causal = keyPositions.le(queryPositions);                                        // [T, Tk]
        using var self = keyPositions.eq(queryPositions);
        using var real = keyMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1);                   // [B, 1, 1, Tk]
        using var allowed = causal.logical_and(real).logical_or(self);                            // [B, 1, T, Tk]
        using var blocked = zeros_like(allowed, dtype: float32).fill_(float.NegativeInfinity);
        using var open = zeros_like(allowed, dtype: float32);
        return where(allowed, open, blocked);
    }
}
