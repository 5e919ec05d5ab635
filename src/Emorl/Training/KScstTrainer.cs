using System;
using System.Collections.Generic;
using System.Threading;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;

namespace Emorl.Training;

/// <summary>
/// Trains one objective's LoRA adapter with k-SCST: REINFORCE with the mean reward of a prompt's
/// G samples as baseline, plus a per-token KL penalty to the frozen base model.
/// </summary>
/// <remarks>
/// Laban et al. 2021 (k-SCST), as used by EMORL (Kong et al., SIGDIAL 2025). One step: sample G
/// responses for each of B prompts, score them, reward r = log clip(s), advantage A = r − mean of
/// the prompt's G rewards, loss = −mean(A · Σ_t log π) + β · mean per-token KL (k3), AdamW with
/// global gradient clipping. Unlike EMORL's reference code, sampling runs in evaluation mode, the
/// loss is computed on the sampled token ids, and the KL term has a gradient. log π includes the
/// end-of-text token when a row emitted one, so the policy can learn when to stop. Only the
/// adapter's parameters train; the base stays frozen. This is <see cref="PolicyTrainer"/> with
/// <see cref="KScstOptions.ToPolicyTrainerOptions"/>. Not thread-safe.
/// </remarks>
public sealed class KScstTrainer : IDisposable
{
    private readonly PolicyTrainer _trainer;

    /// <summary>Creates a trainer for one objective model.</summary>
    /// <param name="model">The objective model; its adapter trains, its base is frozen here.</param>
    /// <param name="reward">The objective's reward model.</param>
    /// <param name="template">Encodes statements into prompts and decodes responses.</param>
    /// <param name="options">Training settings; validated here.</param>
    /// <param name="logger">Logger, or null for none.</param>
    /// <exception cref="ArgumentException">The model has no adapter, or an option is invalid.</exception>
    public KScstTrainer(
        LoraObjectiveModel model, IRewardModel reward, PromptTemplate template, KScstOptions options, ILogger<KScstTrainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _trainer = new PolicyTrainer(model, reward, template, options.ToPolicyTrainerOptions(), logger);
    }

    /// <summary>Gets the number of optimizer steps taken.</summary>
    public int StepsTaken => _trainer.StepsTaken;

    /// <summary>Runs steps until the convergence rule is met or the step budget is spent.</summary>
    /// <param name="trainStatements">Training client statements, cycled in a seeded shuffled order.</param>
    /// <param name="validationStatements">Validation client statements.</param>
    /// <param name="progress">Receives progress after each step, or null.</param>
    /// <param name="cancellationToken">Checked between steps; the current step finishes first.</param>
    /// <returns>Steps, data points, seconds, convergence and the metrics history.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public ObjectiveTrainingResult Train(
        IReadOnlyList<string> trainStatements,
        IReadOnlyList<string> validationStatements,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        _trainer.Train(trainStatements, validationStatements, progress, cancellationToken);

    /// <summary>Takes one optimizer step on a batch of statements.</summary>
    /// <param name="statements">The B client statements of this step.</param>
    /// <param name="cancellationToken">Checked between generated tokens.</param>
    /// <returns>The step's metrics.</returns>
    public TrainingStepMetrics Step(IReadOnlyList<string> statements, CancellationToken cancellationToken = default) =>
        _trainer.Step(statements, cancellationToken);

    /// <summary>Samples G responses for each statement and returns the mean objective score.</summary>
    /// <param name="statements">Validation client statements.</param>
    /// <param name="cancellationToken">Checked between generated tokens.</param>
    /// <returns>The mean score in [0, 1].</returns>
    public double Validate(IReadOnlyList<string> statements, CancellationToken cancellationToken = default) =>
        _trainer.Validate(statements, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _trainer.Dispose();
}
