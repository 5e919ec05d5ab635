using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>
/// A T5 encoder-decoder language model whose encoder output, computed once per prompt, and last
/// decoder hidden state (after the final layer norm) are available apart from the LM head, with
/// optional LoRA adapters and a decoder cache.
/// </summary>
/// <remarks>
/// <para>
/// Architecture and parameter names follow Hugging Face's <c>T5ForConditionalGeneration</c>
/// (Raffel et al. 2020): a shared token embedding (<c>shared</c>), pre-norm layers with RMS layer
/// norms, relative-position biases held by the first layer of each stack, bias-free projections
/// stored [out, in], and attention scores without 1/√d scaling. The LM head is linear, so
/// H(Σ w_k h_k) = Σ w_k H(h_k) holds for hidden-state aggregation.
/// </para>
/// <para>
/// Decoder sequences start at position 0 with <see cref="T5Options.DecoderStartTokenId"/> in every
/// row, so they need no padding mask: right padding of teacher-forced targets affects only the
/// padded positions, under the causal mask. Forward calls are not thread-safe.
/// </para>
/// </remarks>
public sealed class T5Model : AdaptableLanguageModel
{
    private readonly Embedding _shared;
    private readonly T5Stack _encoder;
    private readonly T5Stack _decoder;
    private readonly T5Linear? _languageModelHead;

    /// <summary>Creates a model with freshly initialised weights.</summary>
    /// <param name="options">The model's shape; validated here.</param>
    /// <param name="seed">Seed for weight initialisation.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message lists each.</exception>
    public T5Model(T5Options options, long seed) : base("t5")
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;

        using (var _ = NewDisposeScope())
        {
            manual_seed(seed);
        }

        _shared = nn.Embedding(options.VocabularySize, options.ModelSize);
        using (no_grad())
        {
            nn.init.normal_(_shared.weight!, 0, 1.0);
        }

        _encoder = new T5Stack("encoder", options, isDecoder: false);
        _decoder = new T5Stack("decoder", options, isDecoder: true);
        register_module("shared", _shared);
        register_module("encoder", _encoder);
        register_module("decoder", _decoder);
        if (!options.TieWordEmbeddings)
        {
            _languageModelHead = new T5Linear("lm_head", options.ModelSize, options.VocabularySize, 1.0);
            register_module("lm_head", _languageModelHead);
        }
    }

    /// <summary>Gets the model's shape.</summary>
    public T5Options Options { get; }

    /// <inheritdoc />
    public override string Architecture => "t5";

    /// <inheritdoc />
    public override Device Device => _shared.weight!.device;

    /// <inheritdoc />
    public override int VocabularySize => Options.VocabularySize;

    /// <inheritdoc />
    public override int HiddenSize => Options.ModelSize;

    /// <summary>Gets <see cref="int.MaxValue"/>: T5's relative position buckets put no fixed limit on lengths.</summary>
    public override int ContextLength => int.MaxValue;

    /// <summary>Gets the shared token embedding, [V, H], which is also the LM head's weight when tied.</summary>
    public Tensor SharedEmbedding => _shared.weight!;

    /// <summary>Gets the untied LM head's weight, [V, H], or null when the head is tied.</summary>
    public Tensor? LanguageModelHeadWeight => _languageModelHead?.Weight;

    /// <summary>Creates an empty decoder cache sized for this model.</summary>
    /// <returns>A new cache; the caller owns it.</returns>
    public T5DecoderCache CreateCache() => new(Options.DecoderLayerCount);

    /// <summary>Runs the encoder over a batch of prompts; call once per prompt batch.</summary>
    /// <param name="tokens">Prompt token ids, [B, S] int64, padded on either side.</param>
    /// <param name="mask">Which prompt positions hold real tokens, [B, S] bool.</param>
    /// <param name="adapter">LoRA adapter to apply, or null for the base model.</param>
    /// <returns>Encoder states after the final layer norm, [B, S, H] float32; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The mask's shape differs from the tokens'.</exception>
    public Tensor Encode(Tensor tokens, Tensor mask, LoraAdapter? adapter) =>
        Encode(tokens, mask, (IProjectionUpdate?)adapter);

    /// <summary>Runs the encoder with any low-rank update.</summary>
    internal Tensor Encode(Tensor tokens, Tensor mask, IProjectionUpdate? adapter)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(mask);
        if (!mask.shape.SequenceEqual(tokens.shape) || tokens.dim() != 2)
        {
            throw new ArgumentException(
                $"The prompt mask has shape [{string.Join(", ", mask.shape)}] but the prompt tokens have shape " +
                $"[{string.Join(", ", tokens.shape)}]; pass a [B, S] bool mask with one entry per prompt token.", nameof(mask));
        }

        using var scope = NewDisposeScope();
        long length = tokens.shape[1];
        var positionBias = _encoder.ComputeBias(length, length, 0, tokens.device);             // [1, heads, S, S]
        var bias = positionBias.add(AdditiveMask(mask));                                         // [B, heads, S, S]
        var embedded = _shared.forward(tokens);                                                  // [B, S, H]
        return _encoder.Forward(embedded, bias, null, null, null, adapter).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the decoder over new decoder tokens and returns its last hidden state after the final
    /// layer norm, before the LM head's rescaling.
    /// </summary>
    /// <param name="decoderTokens">
    /// New decoder token ids, [B, T] int64. Without a cache, the whole sequence from
    /// <see cref="T5Options.DecoderStartTokenId"/>; with one, the tokens after the cached ones.
    /// </param>
    /// <param name="encoderStates">The output of <see cref="Encode(Tensor, Tensor, LoraAdapter?)"/>, [B, S, H].</param>
    /// <param name="encoderMask">The prompt mask given to Encode, [B, S] bool.</param>
    /// <param name="cache">
    /// Decoder cache to read and extend, or null to read only <paramref name="decoderTokens"/>. Its
    /// cross-attention keys and values are computed on the first call and reused afterwards.
    /// </param>
    /// <param name="adapter">LoRA adapter to apply, or null for the base model.</param>
    /// <returns>Hidden states, [B, T, H] float32; the caller owns it.</returns>
    /// <exception cref="ArgumentException">Shapes disagree, or the cache was filled for another batch or model.</exception>
    public Tensor DecodeHidden(Tensor decoderTokens, Tensor encoderStates, Tensor encoderMask, T5DecoderCache? cache, LoraAdapter? adapter) =>
        DecodeHidden(decoderTokens, encoderStates, encoderMask, cache, (IProjectionUpdate?)adapter);

    /// <summary>Runs the decoder with any low-rank update.</summary>
    internal Tensor DecodeHidden(
        Tensor decoderTokens, Tensor encoderStates, Tensor encoderMask, T5DecoderCache? cache, IProjectionUpdate? adapter)
    {
        ArgumentNullException.ThrowIfNull(decoderTokens);
        ArgumentNullException.ThrowIfNull(encoderStates);
        ArgumentNullException.ThrowIfNull(encoderMask);
        ValidateDecoderInputs(decoderTokens, encoderStates, encoderMask, cache);

        using var scope = NewDisposeScope();
        long time = decoderTokens.shape[1];
        int past = cache?.Length ?? 0;
        var positionBias = _decoder.ComputeBias(time, past + time, past, decoderTokens.device);   // [1, heads, T, Tk]
        var bias = positionBias.add(CausalMask(past, time, decoderTokens.device));               // [1, heads, T, Tk]
        var crossMask = AdditiveMask(encoderMask);                                               // [B, 1, 1, S]
        var embedded = _shared.forward(decoderTokens);                                           // [B, T, H]
        Func<int, (Tensor, Tensor)> cross = cache is null
            ? layer => _decoder.ComputeCross(layer, encoderStates, adapter)
            : layer => cache.GetOrAddCross(layer, () => _decoder.ComputeCross(layer, encoderStates, adapter));
        var hidden = _decoder.Forward(embedded, bias, cross, crossMask, cache, adapter);
        cache?.Advance((int)time);
        return hidden.MoveToOuterDisposeScope();
    }

    /// <summary>Applies the LM head: the shared embedding after scaling by d_model^-0.5 when tied, lm_head otherwise.</summary>
    /// <param name="hidden">Decoder hidden states, [.., H], as <see cref="DecodeHidden(Tensor, Tensor, Tensor, T5DecoderCache?, LoraAdapter?)"/> returns them.</param>
    /// <returns>Logits, [.., V]; the caller owns it.</returns>
    public override Tensor LanguageModelHead(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (_languageModelHead is not null)
        {
            return _languageModelHead.Forward(hidden, null);
        }

        // T5 rescales before a tied head because the shared embedding was trained at unit scale.
        using var scaled = hidden.mul(Math.Pow(Options.ModelSize, -0.5));
        return matmul(scaled, _shared.weight!.t());
    }

    /// <summary>Runs the encoder, the whole decoder sequence without a cache, and the LM head.</summary>
    /// <param name="encoderTokens">Prompt token ids, [B, S] int64.</param>
    /// <param name="encoderMask">Which prompt positions hold real tokens, [B, S] bool.</param>
    /// <param name="decoderTokens">Decoder token ids from the start token, [B, T] int64.</param>
    /// <param name="adapter">LoRA adapter to apply, or null for the base model.</param>
    /// <returns>Logits, [B, T, V] float32; the caller owns it.</returns>
    public Tensor Forward(Tensor encoderTokens, Tensor encoderMask, Tensor decoderTokens, LoraAdapter? adapter)
    {
        using var encoded = Encode(encoderTokens, encoderMask, adapter);
        using var hidden = DecodeHidden(decoderTokens, encoded, encoderMask, null, adapter);
        return LanguageModelHead(hidden);
    }

    /// <summary>Lists every projection a LoRA adapter may adapt: path, input and output size.</summary>
    /// <returns>
    /// One entry per q, k, v, o, wi (wi_0 and wi_1 when gated) and wo, encoder layers first, paths as
    /// Hugging Face names the modules, such as <c>decoder.block.0.layer.1.EncDecAttention.q</c>.
    /// </returns>
    public override IEnumerable<(string Path, int InFeatures, int OutFeatures)> AdaptableProjections() =>
        _encoder.Projections.Concat(_decoder.Projections).Select(p => (p.Path, p.InFeatures, p.OutFeatures));

    /// <inheritdoc />
    internal override IEnumerable<(string Path, Tensor Weight, bool InputMajor)> ProjectionWeights() =>
        _encoder.Projections.Concat(_decoder.Projections).Select(p => (p.Path, p.Weight, false));

    /// <inheritdoc />
    internal override IHiddenStateDecoder StartDecoding(IProjectionUpdate? update, bool useCache) =>
        new T5HiddenStateDecoder(this, update, useCache);

    /// <summary>
    /// Encodes the prompts once and decodes the continuation shifted right behind
    /// <see cref="T5Options.DecoderStartTokenId"/>, so decoder position t predicts continuation token t.
    /// </summary>
    internal override Tensor ContinuationHidden(Tensor promptTokens, Tensor promptMask, Tensor continuation, IProjectionUpdate? update)
    {
        ValidateContinuation(promptTokens, promptMask, continuation);
        if (continuation.shape[1] == 0)
        {
            // The decoder would still read its start token, so an empty continuation gets no states.
            long batch = continuation.shape[0];
            return empty([batch, 0, Options.ModelSize], dtype: float32, device: continuation.device);   // [B, 0, H]
        }

        using var scope = NewDisposeScope();
        var mask = promptMask.to(ScalarType.Bool);
        var encoded = Encode(promptTokens, mask, update);                                       // [B, S, H]
        var start = full([continuation.shape[0], 1], (long)Options.DecoderStartTokenId, dtype: int64, device: continuation.device);
        var decoderTokens = cat([start, continuation[.., ..^1]], 1);                             // [B, T]
        return DecodeHidden(decoderTokens, encoded, mask, null, update).MoveToOuterDisposeScope();   // [B, T, H]
    }

    /// <inheritdoc />
    internal override string Describe() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"t5 with vocabulary {Options.VocabularySize}, model size {Options.ModelSize}, {Options.EncoderLayerCount} encoder and "
        + $"{Options.DecoderLayerCount} decoder layers, {Options.HeadCount} heads");

    /// <inheritdoc />
    internal override AdaptableLanguageModel CreateSameShape()
    {
        var model = new T5Model(Options, seed: 0);
        return Device.type == DeviceType.CPU ? model : model.to(Device);
    }

    /// <summary>Turns a [B, S] bool mask into an additive [B, 1, 1, S] mask: 0 to attend, float32's minimum to block.</summary>
    private static Tensor AdditiveMask(Tensor mask)
    {
        using var allowed = mask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1);
        using var open = zeros(1, dtype: float32, device: mask.device);
        using var blocked = full(1, float.MinValue, dtype: float32, device: mask.device);
        return where(allowed, open, blocked);
    }

    /// <summary>Builds the additive causal mask [1, 1, T, Tk] for queries at past .. past + T − 1.</summary>
    private static Tensor CausalMask(int past, long time, Device device)
    {
        using var queries = arange(past, past + time, device: device).unsqueeze(1);             // [T, 1]
        using var keys = arange(past + time, device: device).unsqueeze(0);                       // [1, Tk]
        using var allowed = keys.le(queries).unsqueeze(0).unsqueeze(0);
        using var open = zeros(1, dtype: float32, device: device);
        using var blocked = full(1, float.MinValue, dtype: float32, device: device);
        return where(allowed, open, blocked);
    }

    private void ValidateDecoderInputs(Tensor decoderTokens, Tensor encoderStates, Tensor encoderMask, T5DecoderCache? cache)
    {
        long batch = decoderTokens.shape[0];
        if (decoderTokens.dim() != 2 || encoderStates.dim() != 3 || encoderStates.shape[0] != batch
            || encoderStates.shape[2] != Options.ModelSize || !encoderMask.shape.AsSpan().SequenceEqual(encoderStates.shape.AsSpan(0, 2)))
        {
            throw new ArgumentException(
                $"Decoder tokens [{string.Join(", ", decoderTokens.shape)}], encoder states " +
                $"[{string.Join(", ", encoderStates.shape)}] and encoder mask [{string.Join(", ", encoderMask.shape)}] " +
                $"do not fit together; expected [B, T], [B, S, {Options.ModelSize}] and [B, S].", nameof(encoderStates));
        }

        if (cache is null)
        {
            return;
        }

        if (cache.LayerCount != Options.DecoderLayerCount)
        {
            throw new ArgumentException(
                $"The cache covers {cache.LayerCount} layers but the decoder has {Options.DecoderLayerCount}; " +
                "create it with this model's CreateCache.", nameof(cache));
        }

        if (cache.CrossBatchSize is long cachedBatch && cachedBatch != batch)
        {
            throw new ArgumentException(
                $"The cache holds cross-attention keys for {cachedBatch} rows but {batch} rows were passed; " +
                "clear the cache before decoding other prompts.", nameof(cache));
        }
    }
}
