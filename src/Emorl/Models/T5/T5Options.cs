using System.Collections.Generic;

namespace Emorl.Models.T5;

/// <summary>
/// Shape of a T5 encoder-decoder model, one property per key of Hugging Face's <c>T5Config</c>.
/// </summary>
/// <remarks>
/// The defaults are t5-base's configuration (Raffel et al. 2020, "Exploring the Limits of Transfer
/// Learning with a Unified Text-to-Text Transformer"): 12 + 12 layers, d_model 768, 12 heads of
/// 64, d_ff 3,072, ReLU feed-forward, 32 relative-position buckets up to distance 128, vocabulary
/// 32,128 and the LM head tied to the shared embedding.
/// </remarks>
public sealed class T5Options
{
    /// <summary>Gets or sets the number of token ids (<c>vocab_size</c>). Default 32,128.</summary>
    public int VocabularySize { get; set; } = 32_128;

    /// <summary>Gets or sets the hidden size H (<c>d_model</c>). Default 768.</summary>
    public int ModelSize { get; set; } = 768;

    /// <summary>
    /// Gets or sets the size of each attention head (<c>d_kv</c>). Default 64. Need not equal
    /// <see cref="ModelSize"/> / <see cref="HeadCount"/>.
    /// </summary>
    public int KeyValueSize { get; set; } = 64;

    /// <summary>Gets or sets the inner size of the feed-forward block (<c>d_ff</c>). Default 3,072.</summary>
    public int FeedForwardSize { get; set; } = 3_072;

    /// <summary>Gets or sets the number of encoder layers (<c>num_layers</c>). Default 12.</summary>
    public int EncoderLayerCount { get; set; } = 12;

    /// <summary>Gets or sets the number of decoder layers (<c>num_decoder_layers</c>). Default 12.</summary>
    public int DecoderLayerCount { get; set; } = 12;

    /// <summary>Gets or sets the number of attention heads (<c>num_heads</c>). Default 12.</summary>
    public int HeadCount { get; set; } = 12;

    /// <summary>
    /// Gets or sets the number of relative-position buckets (<c>relative_attention_num_buckets</c>).
    /// Default 32. Must be even, because half of the buckets of the encoder serve each direction.
    /// </summary>
    public int RelativeAttentionBucketCount { get; set; } = 32;

    /// <summary>
    /// Gets or sets the distance, in tokens, beyond which relative positions share the last bucket
    /// (<c>relative_attention_max_distance</c>). Default 128.
    /// </summary>
    public int RelativeAttentionMaxDistance { get; set; } = 128;

    /// <summary>Gets or sets the feed-forward block (<c>feed_forward_proj</c>). Default ReLU.</summary>
    public T5FeedForwardKind FeedForward { get; set; } = T5FeedForwardKind.Relu;

    /// <summary>
    /// Gets or sets whether the LM head is the shared embedding (<c>tie_word_embeddings</c>). Default
    /// true. A tied head scales the decoder output by d_model^-0.5 before the product.
    /// </summary>
    public bool TieWordEmbeddings { get; set; } = true;

    /// <summary>Gets or sets the epsilon of the RMS layer norm (<c>layer_norm_epsilon</c>). Default 1e-6.</summary>
    public double LayerNormEpsilon { get; set; } = 1e-6;

    /// <summary>Gets or sets the dropout probability (<c>dropout_rate</c>), in [0, 1). Default 0.1.</summary>
    public double Dropout { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets the token that starts every decoder sequence (<c>decoder_start_token_id</c>).
    /// Default 0, T5's padding token.
    /// </summary>
    public int DecoderStartTokenId { get; set; }

    /// <summary>Gets or sets the end-of-sequence token <c>&lt;/s&gt;</c> (<c>eos_token_id</c>). Default 1.</summary>
    public int EndOfSequenceId { get; set; } = 1;

    /// <summary>Gets or sets the padding token <c>&lt;pad&gt;</c> (<c>pad_token_id</c>). Default 0.</summary>
    public int PaddingId { get; set; }

    /// <summary>Gets the width of all heads together, <see cref="HeadCount"/> · <see cref="KeyValueSize"/>.</summary>
    public int InnerAttentionSize => HeadCount * KeyValueSize;

    /// <summary>Checks every value and reports all invalid ones together.</summary>
    /// <exception cref="System.ArgumentException">One or more values are out of range; the message lists each.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        AddIfBelow(errors, nameof(VocabularySize), VocabularySize, 2);
        AddIfBelow(errors, nameof(ModelSize), ModelSize, 1);
        AddIfBelow(errors, nameof(KeyValueSize), KeyValueSize, 1);
        AddIfBelow(errors, nameof(FeedForwardSize), FeedForwardSize, 1);
        AddIfBelow(errors, nameof(EncoderLayerCount), EncoderLayerCount, 1);
        AddIfBelow(errors, nameof(DecoderLayerCount), DecoderLayerCount, 1);
        AddIfBelow(errors, nameof(HeadCount), HeadCount, 1);
        AddIfBelow(errors, nameof(RelativeAttentionMaxDistance), RelativeAttentionMaxDistance, 1);
        if (RelativeAttentionBucketCount < 4 || RelativeAttentionBucketCount % 2 != 0)
        {
            errors.Add($"RelativeAttentionBucketCount is {RelativeAttentionBucketCount}; it must be an even " +
                "number of at least 4 (T5 uses 32).");
        }

        if (!(LayerNormEpsilon > 0))
        {
            errors.Add($"LayerNormEpsilon is {LayerNormEpsilon}; it must be positive (T5 uses 1e-6).");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            errors.Add($"Dropout is {Dropout}; it must lie in [0, 1).");
        }

        AddIfNotToken(errors, nameof(DecoderStartTokenId), DecoderStartTokenId);
        AddIfNotToken(errors, nameof(EndOfSequenceId), EndOfSequenceId);
        AddIfNotToken(errors, nameof(PaddingId), PaddingId);
        OptionsValidation.ThrowIfAny(nameof(T5Options), errors);
    }

    private static void AddIfBelow(List<string> errors, string name, int value, int minimum)
    {
        if (value < minimum)
        {
            errors.Add($"{name} is {value}; it must be at least {minimum}.");
        }
    }

    private void AddIfNotToken(List<string> errors, string name, int value)
    {
        if (value < 0 || value >= VocabularySize)
        {
            errors.Add($"{name} is {value}; it must be a token id in [0, {VocabularySize}).");
        }
    }
}
