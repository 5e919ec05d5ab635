using System;

namespace Emorl.Training;

/// <summary>
/// The exception thrown when training produces NaN or infinite logits, losses or gradients,
/// which almost always means the learning rate is too high for the model and data.
/// </summary>
/// <remarks>
/// The message names the objective, the step and the options to change. The check runs before the
/// optimizer applies a step's update, so a non-finite loss or gradient never reaches the adapter.
/// Non-finite logits found while sampling mean an earlier update already made the adapter unusable.
/// </remarks>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public TrainingDivergedException()
        : base("Training diverged: a logit, loss or gradient is NaN or infinite.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message, which should name the objective, the step and the fix.</param>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">The message, which should name the objective, the step and the fix.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance that records the objective and the step.</summary>
    /// <param name="message">The message, which names the objective, the step and the fix.</param>
    /// <param name="objective">The name of the objective model being trained.</param>
    /// <param name="step">The 1-based step during which the non-finite value appeared.</param>
    /// <param name="innerException">The exception that reported the value.</param>
    public TrainingDivergedException(string message, string objective, int step, Exception innerException)
        : base(message, innerException)
    {
        Objective = objective;
        Step = step;
    }

    /// <summary>Gets the name of the objective model being trained, or <see langword="null"/> when not recorded.</summary>
    public string? Objective { get; }

    /// <summary>Gets the 1-based step during which the non-finite value appeared, or 0 when not recorded.</summary>
    public int Step { get; }
}
