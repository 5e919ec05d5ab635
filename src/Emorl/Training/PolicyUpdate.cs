using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Training;

/// <summary>Advantages of a rollout: per sequence [N] for k-SCST and RLOO, per token [N, Lr] with returns for PPO.</summary>
internal sealed record RolloutAdvantages(Tensor Advantages, Tensor? Returns);

/// <summary>Averages over the minibatches and optimizer steps of one update.</summary>
internal sealed record UpdateStatistics(
    double Loss,
    double PolicyLoss,
    double ValueLoss,
    double ClipFraction,
    double ValueClipFraction,
    double Entropy,
    double ApproximateKl,
    double GradientNorm,
    int OptimizerSteps);

/// <summary>
/// The optimisation phase of a step: epochs of (shuffled, for PPO) minibatches over the rollout,
/// gradients accumulated over <see cref="PolicyTrainerOptions.GradientAccumulationSteps"/>
/// minibatches, then global-norm clipping and one AdamW step.
/// </summary>
/// <remarks>
/// Each minibatch's loss is scaled by its share of the rows in its accumulation group. For the
/// sequence-level losses of k-SCST and RLOO the summed gradient then equals that of the group's
/// mean loss. PPO's losses are token means per minibatch, so minibatches are weighted by rows,
/// not by tokens.
/// </remarks>
internal sealed class PolicyUpdate
{
    private readonly PolicyTrainerOptions _options;
    private readonly PolicyForward _forward;
    private readonly optim.Optimizer _optimizer;
    private readonly IReadOnlyList<Parameter> _parameters;

    public PolicyUpdate(PolicyTrainerOptions options, PolicyForward forward, optim.Optimizer optimizer, IReadOnlyList<Parameter> parameters)
    {
        _options = options;
        _forward = forward;
        _optimizer = optimizer;
        _parameters = parameters;
    }

    public UpdateStatistics Run(PolicyRollout rollout, RolloutAdvantages advantages, double klCoefficient, TrainingRandom random)
    {
        int count = rollout.Count;
        int batchSize = _options.MiniBatchSize == 0 ? count : Math.Min(_options.MiniBatchSize, count);
        int epochs = _options.Algorithm == PolicyAlgorithm.Ppo ? _options.PpoEpochs : 1;
        var totals = new double[7];
        int minibatches = 0;
        var gradientNorms = new List<double>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var order = Enumerable.Range(0, count).ToArray();
            if (_options.Algorithm == PolicyAlgorithm.Ppo)
            {
                random.Shuffle(order);
            }

            var batches = order.Chunk(batchSize).ToArray();
            foreach (var group in batches.Chunk(_options.GradientAccumulationSteps))
            {
                int groupRows = group.Sum(b => b.Length);
                _optimizer.zero_grad();
                foreach (var batch in group)
                {
                    var values = Minibatch(rollout, advantages, batch, klCoefficient, batch.Length / (double)groupRows);
                    for (int i = 0; i < totals.Length; i++)
                    {
                        totals[i] += values[i];
                    }

                    minibatches++;
                }

                double gradientNorm = nn.utils.clip_grad_norm_(_parameters, _options.MaxGradientNorm);
                CheckFinite(totals[0], "loss");
                CheckFinite(gradientNorm, "gradient norm");
                gradientNorms.Add(gradientNorm);
                _optimizer.step();
            }
        }

        return new UpdateStatistics(
            totals[0] / minibatches, totals[1] / minibatches, totals[2] / minibatches, totals[3] / minibatches,
            totals[4] / minibatches, totals[5] / minibatches, totals[6] / minibatches,
            gradientNorms.Average(), gradientNorms.Count);
    }

    /// <summary>
    /// Stops the update before the optimizer step when a value is NaN or infinite, because
    /// clip_grad_norm_ scales gradients by a NaN norm without complaint and the step would write NaN
    /// into every adapter weight.
    /// </summary>
    private static void CheckFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new NotFiniteNumberException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The {name} is {value}, so the update was not applied."),
                value);
        }
    }

    /// <summary>Computes one minibatch's loss, back-propagates its share, and returns its metrics in <see cref="UpdateStatistics"/> order.</summary>
    private double[] Minibatch(PolicyRollout rollout, RolloutAdvantages advantages, int[] batch, double klCoefficient, double share)
    {
        using var scope = NewDisposeScope();
        var rows = tensor(batch.Select(i => (long)i).ToArray());
        bool ppo = _options.Algorithm == PolicyAlgorithm.Ppo;
        var evaluation = _forward.Evaluate(rollout, rows, useAdapter: true, withValues: ppo, withEntropy: true);
        var mask = rollout.ResponseMask.index_select(0, rows);
        var old = rollout.OldLogProbabilities.index_select(0, rows);
        var reference = rollout.ReferenceLogProbabilities.index_select(0, rows);
        var advantage = advantages.Advantages.index_select(0, rows);

        var kl = PolicyGradientMath.MaskedMean(PolicyGradientMath.KlEstimate(evaluation.LogProbabilities, reference, _options.KlEstimator), mask);
        var entropy = PolicyGradientMath.MaskedMean(evaluation.Entropy!, mask);
        Tensor policyLoss;
        Tensor valueLoss = tensor(0f);
        Tensor clipFraction = tensor(0f);
        Tensor valueClipFraction = tensor(0f);
        if (ppo)
        {
            (policyLoss, clipFraction) = PpoMath.ClippedSurrogateLoss(evaluation.LogProbabilities, old, advantage, mask, _options.ClipRange);
            var oldValues = rollout.OldValues!.index_select(0, rows);
            var returns = advantages.Returns!.index_select(0, rows);
            (valueLoss, valueClipFraction) = PpoMath.ClippedValueLoss(evaluation.Values!, oldValues, returns, mask, _options.ValueClipRange);
        }
        else
        {
            policyLoss = PolicyGradientMath.SequenceReinforceLoss(evaluation.LogProbabilities, mask, advantage);
        }

        var loss = policyLoss + valueLoss * _options.ValueCoefficient - entropy * _options.EntropyCoefficient;
        if (_options.KlPenalty == KlPenaltyPlacement.Loss)
        {
            loss = loss + kl * klCoefficient;
        }

        (loss * share).backward();
        var approximateKl = PpoMath.ApproximateKl(evaluation.LogProbabilities, old, mask);
        return
        [
            loss.item<float>(), policyLoss.item<float>(), valueLoss.item<float>(),
            clipFraction.item<float>(), valueClipFraction.item<float>(), entropy.item<float>(), approximateKl.item<float>(),
        ];
    }
}
