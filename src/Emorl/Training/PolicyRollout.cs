using System;
using System.Collections.Generic;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Tensors;
using static TorchSharp.torch;

namespace Emorl.Training;

/// <summary>
/// One rollout laid out for teacher forcing: left-padded prompts followed by right-padded sampled
/// responses, with the rollout-time log-probabilities, reference log-probabilities and values.
/// </summary>
/// <remarks>
/// Every tensor belongs to the dispose scope that was current when the rollout was built (the
/// trainer's step scope). Rows are the B · G sequences, the G samples of a prompt adjacent.
/// </remarks>
internal sealed class PolicyRollout
{
    private PolicyRollout(
        IReadOnlyList<IReadOnlyList<int>> responses,
        IReadOnlyList<IReadOnlyList<double>> scores,
        Tensor tokens,
        Tensor keyMask,
        int promptWidth)
    {
        Responses = responses;
        Scores = scores;
        Tokens = tokens;
        KeyMask = keyMask;
        PromptWidth = promptWidth;
        long width = tokens.shape[1];
        Targets = tokens[.., promptWidth..];                                                   // [N, Lr]
        ResponseMask = keyMask[.., promptWidth..];                                             // [N, Lr]
        OldLogProbabilities = null!;
        ReferenceLogProbabilities = null!;
        ResponseWidth = (int)(width - promptWidth);
    }

    /// <summary>Gets the sampled response tokens of each row, end-of-text included when the row emitted it.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Responses { get; }

    /// <summary>Gets the scores of each row, one per objective.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Scores { get; }

    public int Count => Responses.Count;

    public Tensor Tokens { get; }                           // [N, L] int64

    public Tensor KeyMask { get; }                          // [N, L] bool

    public int PromptWidth { get; }

    public int ResponseWidth { get; }

    public Tensor Targets { get; }                          // [N, Lr] int64

    public Tensor ResponseMask { get; }                     // [N, Lr] bool

    /// <summary>Gets log π of each response token under the policy that sampled it, without dropout.</summary>
    public Tensor OldLogProbabilities { get; private set; } // [N, Lr]

    /// <summary>Gets log π_ref of each response token under the frozen base model.</summary>
    public Tensor ReferenceLogProbabilities { get; private set; } // [N, Lr]

    /// <summary>Gets the value head's estimates at rollout time (PPO only).</summary>
    public Tensor? OldValues { get; private set; }          // [N, Lr]

    /// <summary>Builds the teacher-forcing batch and evaluates the policy, the reference and the value head on it.</summary>
    public static PolicyRollout Create(
        PolicyForward forward,
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<IReadOnlyList<int>> responses,
        IReadOnlyList<IReadOnlyList<double>> scores,
        int padId)
    {
        var (tokens, mask, promptWidth) = PromptBatch.CreateWithResponses(prompts, responses, padId);
        var rollout = new PolicyRollout(responses, scores, tokens, mask, promptWidth);
        using var noGrad = no_grad();
        var policy = forward.Evaluate(rollout, rows: null, useAdapter: true, withValues: forward.HasValueHead, withEntropy: false);
        var reference = forward.Evaluate(rollout, rows: null, useAdapter: false, withValues: false, withEntropy: false);
        rollout.OldLogProbabilities = policy.LogProbabilities;
        rollout.ReferenceLogProbabilities = reference.LogProbabilities;
        rollout.OldValues = policy.Values;
        return rollout;
    }

    /// <summary>Computes the per-token KL estimate of the rollout policy to the reference, zero on padding.</summary>
    public Tensor TokenKl(KlEstimator estimator)
    {
        using var estimate = PolicyGradientMath.KlEstimate(OldLogProbabilities, ReferenceLogProbabilities, estimator);
        using var weights = ResponseMask.to(float32);
        return estimate * weights;                                                             // [N, Lr]
    }

    /// <summary>Selects rows of a [N, ..] tensor, or returns it unchanged when <paramref name="rows"/> is null.</summary>
    public static Tensor Select(Tensor values, Tensor? rows) => rows is null ? values.alias() : values.index_select(0, rows);
}

/// <summary>The policy's teacher-forced outputs on the response positions of a rollout.</summary>
/// <param name="LogProbabilities">[N, Lr] log π of the response tokens.</param>
/// <param name="Entropy">[N, Lr] entropy of each position's distribution, or null.</param>
/// <param name="Values">[N, Lr] value estimates, or null.</param>
internal sealed record PolicyEvaluation(Tensor LogProbabilities, Tensor? Entropy, Tensor? Values);

/// <summary>Runs the objective model (with or without its adapter) and the value head on rollout rows.</summary>
internal sealed class PolicyForward
{
    private readonly LoraObjectiveModel _model;
    private readonly ValueHead? _valueHead;
    private readonly double _temperature;
    private readonly bool _entropyGradient;

    /// <param name="model">The objective model.</param>
    /// <param name="valueHead">PPO's value head, or null.</param>
    /// <param name="temperature">The sampling temperature that divides the logits.</param>
    /// <param name="entropyGradient">Whether the entropy enters the loss; otherwise it is computed without gradient, for metrics only.</param>
    public PolicyForward(LoraObjectiveModel model, ValueHead? valueHead, double temperature, bool entropyGradient)
    {
        _model = model;
        _valueHead = valueHead;
        _temperature = temperature;
        _entropyGradient = entropyGradient;
    }

    public bool HasValueHead => _valueHead is not null;

    /// <summary>
    /// Evaluates rows of the rollout. The model's continuation states predict the response tokens
    /// one by one; the value of a response position is read from the same hidden state, which is the
    /// state before its token is chosen.
    /// </summary>
    public PolicyEvaluation Evaluate(PolicyRollout rollout, Tensor? rows, bool useAdapter, bool withValues, bool withEntropy)
    {
        using var scope = NewDisposeScope();
        var tokens = PolicyRollout.Select(rollout.Tokens, rows);
        var mask = PolicyRollout.Select(rollout.KeyMask, rows);
        var targets = PolicyRollout.Select(rollout.Targets, rows);
        var promptTokens = tokens[.., ..rollout.PromptWidth];                                  // [N, Lp]
        var promptMask = mask[.., ..rollout.PromptWidth];
        var predicting = useAdapter
            ? _model.ContinuationHidden(promptTokens, promptMask, targets)                     // [N, Lr, H]
            : _model.SharedBase.ContinuationHidden(promptTokens, promptMask, targets, (LoraAdapter?)null);
        var logits = _model.SharedBase.LanguageModelHead(predicting);                          // [N, Lr, V]
        if (_temperature != 1.0)
        {
            logits = logits / _temperature;
        }

        var logProbabilities = PolicyGradientMath.TokenLogProbabilities(logits, targets);      // [N, Lr]
        Tensor? entropy = null;
        if (withEntropy)
        {
            entropy = PpoMath.Entropy(_entropyGradient ? logits : logits.detach());            // [N, Lr]
        }

        var values = withValues && _valueHead is not null ? _valueHead.Forward(predicting) : null;   // [N, Lr]
        return new PolicyEvaluation(
            logProbabilities.MoveToOuterDisposeScope(), entropy?.MoveToOuterDisposeScope(), values?.MoveToOuterDisposeScope());
    }
}

/// <summary>Sampled responses of one batch with their scores, before teacher forcing.</summary>
/// <param name="Prompts">Prompt token ids, one per row (each statement repeated G times).</param>
/// <param name="Responses">Response token ids, end-of-text included when the row emitted it.</param>
/// <param name="Scores">One row of objective scores per response.</param>
internal sealed record RolloutSample(
    IReadOnlyList<IReadOnlyList<int>> Prompts, IReadOnlyList<IReadOnlyList<int>> Responses, IReadOnlyList<IReadOnlyList<double>> Scores);
