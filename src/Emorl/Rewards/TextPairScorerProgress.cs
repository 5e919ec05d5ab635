using System;

namespace Emorl.Rewards;

/// <summary>The state of a <see cref="TextPairScorer"/> training run after one epoch.</summary>
/// <param name="Epoch">The epoch just finished, from 1 to <paramref name="Epochs"/>.</param>
/// <param name="Epochs">The number of epochs in the run.</param>
/// <param name="MeanLoss">
/// The mean training loss over the epoch's steps: binary cross-entropy plus the weighted ranking loss.
/// </param>
/// <param name="Elapsed">The wall-clock time since training started.</param>
public sealed record TextPairScorerProgress(int Epoch, int Epochs, double MeanLoss, TimeSpan Elapsed);
