using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// A frozen base language model that LoRA adapters specialise: a decoder-only
/// <see cref="Gpt2Model"/> or an encoder-decoder <see cref="T5.T5Model"/>. Training, aggregation,
/// search and generation reach either architecture through this type.
/// </summary>
/// <remarks>
/// <para>
/// Both architectures read a batch of left-padded prompts and produce, for every position that
/// predicts a response token, the last hidden state after the final layer norm. The LM head is
/// linear and bias-free, so hidden-state aggregation holds for both: H(Σ w_k h_k) = Σ w_k H(h_k).
/// </para>
/// <para>
/// A decoder-only model reads the prompt and the response as one sequence. An encoder-decoder
/// model encodes the prompt once and decodes the response from its start token. Callers do not
/// need to know which: <see cref="StartDecoding(LoraAdapter?, bool)"/> and
/// <see cref="ContinuationHidden(Tensor, Tensor, Tensor, LoraAdapter?)"/> hide the difference.
/// Only the two built-in architectures derive from this class. Forward calls are not thread-safe.
/// </para>
/// </remarks>
public abstract class AdaptableLanguageModel : nn.Module
{
    private protected AdaptableLanguageModel(string name) : base(name)
    {
    }

    /// <summary>Gets the architecture's Hugging Face <c>model_type</c>: <c>gpt2</c> or <c>t5</c>.</summary>
    public abstract string Architecture { get; }

    /// <summary>Gets the device that stores the model's weights.</summary>
    public abstract Device Device { get; }

    /// <summary>Gets the number of token ids the model reads and the LM head scores, V.</summary>
    public abstract int VocabularySize { get; }

    /// <summary>Gets the size of the hidden states the LM head reads, H.</summary>
    public abstract int HiddenSize { get; }

    /// <summary>
    /// Gets the most positions one decoding reads, prompt and generated tokens together:
    /// <c>n_positions</c> for GPT-2, <see cref="int.MaxValue"/> for T5, whose relative positions have
    /// no fixed limit.
    /// </summary>
    public abstract int ContextLength { get; }

    /// <summary>Applies the shared LM head.</summary>
    /// <param name="hidden">Hidden states, [.., H], as the model's decoders return them.</param>
    /// <returns>Logits, [.., V]; the caller owns it.</returns>
    public abstract Tensor LanguageModelHead(Tensor hidden);

    /// <summary>Lists every projection a LoRA adapter may adapt: path, input and output size.</summary>
    /// <returns>One entry per projection, with the module path Hugging Face gives it.</returns>
    public abstract IEnumerable<(string Path, int InFeatures, int OutFeatures)> AdaptableProjections();

    /// <summary>Marks every base parameter as frozen or trainable.</summary>
    /// <param name="frozen">True to stop gradients to the base weights.</param>
    public void SetFrozen(bool frozen)
    {
        foreach (var parameter in parameters())
        {
            parameter.requires_grad = !frozen;
        }
    }

    /// <summary>Starts decoding a batch of prompts, one token per row per step.</summary>
    /// <param name="adapter">LoRA adapter to apply, or null for the base model.</param>
    /// <param name="useCache">
    /// True to keep keys and values between steps, so each step reads one token. False re-reads the
    /// whole sequence at every step, as EMORL's reference code does.
    /// </param>
    /// <returns>A decoder for one prompt batch; the caller owns it.</returns>
    public IHiddenStateDecoder StartDecoding(LoraAdapter? adapter, bool useCache = true) =>
        StartDecoding((IProjectionUpdate?)adapter, useCache);

    /// <summary>
    /// Runs the model over prompts and continuations with teacher forcing and returns the hidden
    /// states that predict each continuation token.
    /// </summary>
    /// <param name="promptTokens">Left-padded prompt token ids, [B, S] int64.</param>
    /// <param name="promptMask">Which prompt positions hold real tokens, [B, S] bool.</param>
    /// <param name="continuation">Right-padded continuation token ids, [B, T] int64.</param>
    /// <param name="adapter">LoRA adapter to apply, or null for the base model.</param>
    /// <returns>
    /// [B, T, H] float32: position t contains the state after the prompt and continuation tokens
    /// before t, which predicts continuation token t. The caller owns it.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// Shapes disagree, a token id is outside the vocabulary, or the sequence exceeds <see cref="ContextLength"/>.
    /// </exception>
    public Tensor ContinuationHidden(Tensor promptTokens, Tensor promptMask, Tensor continuation, LoraAdapter? adapter) =>
        ContinuationHidden(promptTokens, promptMask, continuation, (IProjectionUpdate?)adapter);

    /// <summary>Starts decoding with any low-rank update, such as K stacked adapters.</summary>
    internal abstract IHiddenStateDecoder StartDecoding(IProjectionUpdate? update, bool useCache);

    /// <summary>Runs teacher forcing with any low-rank update.</summary>
    internal abstract Tensor ContinuationHidden(Tensor promptTokens, Tensor promptMask, Tensor continuation, IProjectionUpdate? update);

    /// <summary>
    /// Returns the log-probability of every token the supervised warm-up learns from and a mask of
    /// the positions that count: the continuation always, and for a decoder-only model the prompt too
    /// unless <paramref name="continuationOnly"/> is set.
    /// </summary>
    /// <returns>Log-probabilities and a bool mask of one shape; the caller owns both.</returns>
    internal virtual (Tensor LogProbabilities, Tensor Mask) WarmupTerms(
        Tensor promptTokens, Tensor promptMask, Tensor continuation, Tensor continuationMask, bool continuationOnly)
    {
        using var scope = NewDisposeScope();
        var hidden = ContinuationHidden(promptTokens, promptMask, continuation, (IProjectionUpdate?)null);   // [B, T, H]
        var logits = LanguageModelHead(hidden);                                                              // [B, T, V]
        var logProbabilities = Tensors.PolicyGradientMath.TokenLogProbabilities(logits, continuation);      // [B, T]
        return (logProbabilities.MoveToOuterDisposeScope(), continuationMask.to(ScalarType.Bool).MoveToOuterDisposeScope());
    }

    /// <summary>Describes the model's shape for error messages, such as "gpt2 with vocabulary 50257, hidden size 768, ...".</summary>
    internal abstract string Describe();

    /// <summary>Creates a model of the same shape with fresh weights on the same device, for merging adapters into.</summary>
    internal abstract AdaptableLanguageModel CreateSameShape();

    /// <summary>
    /// Lists every adaptable projection's weight by path, with whether it is stored [in, out] (GPT-2's
    /// Conv1D) rather than [out, in] (PyTorch's Linear).
    /// </summary>
    internal abstract IEnumerable<(string Path, Tensor Weight, bool InputMajor)> ProjectionWeights();

    /// <summary>Checks that prompts [B, S], their mask [B, S] and continuations [B, T] fit together and hold valid ids.</summary>
    private protected void ValidateContinuation(Tensor promptTokens, Tensor promptMask, Tensor continuation)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentNullException.ThrowIfNull(promptMask);
        ArgumentNullException.ThrowIfNull(continuation);
        if (promptTokens.dim() != 2 || !promptMask.shape.SequenceEqual(promptTokens.shape)
            || promptTokens.shape[1] == 0 || continuation.dim() != 2 || continuation.shape[0] != promptTokens.shape[0])
        {
            throw new ArgumentException(
                $"Prompt tokens [{string.Join(", ", promptTokens.shape)}], prompt mask [{string.Join(", ", promptMask.shape)}] "
                + $"and continuation [{string.Join(", ", continuation.shape)}] do not fit together; expected [B, S], [B, S] and [B, T] with S ≥ 1.",
                nameof(continuation));
        }

        ValidateTokenIds(promptTokens, "The prompt tokens", nameof(promptTokens));
        ValidateTokenIds(continuation, "The continuation tokens", nameof(continuation));
    }

    /// <summary>Checks left-padded prompts [B, S], S ≥ 1, and their mask [B, S] before a decoder reads them.</summary>
    internal void ValidatePrompt(Tensor promptTokens, Tensor promptMask)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentNullException.ThrowIfNull(promptMask);
        if (promptTokens.dim() != 2 || !promptMask.shape.SequenceEqual(promptTokens.shape) || promptTokens.shape[1] == 0)
        {
            throw new ArgumentException(
                $"Prompt tokens [{string.Join(", ", promptTokens.shape)}] and prompt mask [{string.Join(", ", promptMask.shape)}] "
                + "do not fit together; pass [B, S] token ids and a [B, S] bool mask of the same shape, with S ≥ 1.",
                nameof(promptMask));
        }

        ValidateTokenIds(promptTokens, "The prompt tokens", nameof(promptTokens));
    }

    /// <summary>Checks the tokens a decoder step reads: [B, 1] ids within the vocabulary.</summary>
    internal void ValidateNextTokens(Tensor nextTokens, long batchSize)
    {
        ArgumentNullException.ThrowIfNull(nextTokens);
        if (nextTokens.dim() != 2 || nextTokens.shape[0] != batchSize || nextTokens.shape[1] != 1)
        {
            throw new ArgumentException(
                $"The next tokens have shape [{string.Join(", ", nextTokens.shape)}], but the decoder reads one token per prompt "
                + $"row; pass [{batchSize}, 1] token ids.", nameof(nextTokens));
        }

        ValidateTokenIds(nextTokens, "The next tokens", nameof(nextTokens));
    }

    /// <summary>Checks that token ids are integers in [0, <see cref="VocabularySize"/>), the rows of the embedding.</summary>
    private void ValidateTokenIds(Tensor tokens, string description, string parameterName)
    {
        if (tokens.dtype is not (ScalarType.Int64 or ScalarType.Int32))
        {
            throw new ArgumentException(
                $"{description} have dtype {tokens.dtype}; pass int64 (or int32) token ids.", parameterName);
        }

        if (tokens.numel() == 0)
        {
            return;
        }

        using var scope = NewDisposeScope();
        long min = tokens.min().to(ScalarType.Int64).item<long>();
        long max = tokens.max().to(ScalarType.Int64).item<long>();
        if (min < 0 || max >= VocabularySize)
        {
            throw new ArgumentOutOfRangeException(
                parameterName,
                $"{description} contain token id {(min < 0 ? min : max)}, outside the model's vocabulary of {VocabularySize} ids "
                + $"(0 to {VocabularySize - 1}); encode text with the tokenizer the model was trained with, and keep the "
                + "model's vocab_size at least the tokenizer's vocabulary size.");
        }
    }
}
