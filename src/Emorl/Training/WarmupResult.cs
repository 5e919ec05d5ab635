using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>What the supervised warm-up did.</summary>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="Losses">Training loss (mean next-token cross-entropy, nats) of every step.</param>
/// <param name="ValidationLoss">Mean response-token cross-entropy on the validation pairs, in nats.</param>
/// <param name="ValidationPerplexity">exp(<paramref name="ValidationLoss"/>).</param>
public sealed record WarmupResult(int Steps, double Seconds, IReadOnlyList<double> Losses, double ValidationLoss, double ValidationPerplexity);
