using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Emorl.Rewards;

/// <summary>
/// Calls a user's <see cref="IRewardModel"/> and checks what it returns, so that a broken reward
/// model fails with a message naming the objective and the pair instead of corrupting training.
/// </summary>
/// <remarks>
/// Checks: the model does not throw, returns one row per pair and one score per objective, and
/// every score is a finite number in [0, 1]. Non-finite scores are replaced by 0 only when the
/// caller passes <see cref="NonFiniteRewardHandling.ReplaceWithZero"/>. Messages carry indices, never text.
/// </remarks>
internal static partial class RewardScoring
{
    /// <summary>Scores pairs on every objective of <paramref name="reward"/> and checks the scores.</summary>
    /// <returns>One row per pair, one checked score per objective.</returns>
    /// <exception cref="RewardModelException">The model threw or returned an invalid score.</exception>
    public static double[][] ScoreObjectives(
        IRewardModel reward, IReadOnlyList<string> objectives, IReadOnlyList<PromptResponse> pairs,
        NonFiniteRewardHandling handling, ILogger logger, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<IReadOnlyList<double>> scores = Call(reward, pairs, static (model, batch) => model.ScoreObjectives(batch), cancellationToken);
        if (scores is null || scores.Count != pairs.Count)
        {
            throw new RewardModelException(
                $"Reward model '{reward.Name}' returned {scores?.Count.ToString(CultureInfo.InvariantCulture) ?? "null"} rows "
                + $"for {pairs.Count} pairs; its ScoreObjectives must return one row per pair, in input order.",
                reward.Name,
                -1);
        }

        var rows = new double[pairs.Count][];
        int replaced = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            IReadOnlyList<double>? row = scores[i];
            if (row is null || row.Count != objectives.Count)
            {
                throw new RewardModelException(
                    $"Reward model '{reward.Name}' returned {row?.Count.ToString(CultureInfo.InvariantCulture) ?? "null"} scores "
                    + $"for pair {i} but lists {objectives.Count} objectives ({string.Join(", ", objectives)}); "
                    + "return one score per objective, in Objectives order.",
                    reward.Name,
                    i);
            }

            rows[i] = new double[row.Count];
            for (int k = 0; k < row.Count; k++)
            {
                rows[i][k] = Check(reward.Name, objectives[k], i, row[k], handling, ref replaced);
            }
        }

        LogIfReplaced(logger, reward.Name, replaced, pairs.Count);
        return rows;
    }

    /// <summary>Scores pairs with <see cref="IRewardModel.Score"/> and checks the scores.</summary>
    /// <returns>One checked score per pair.</returns>
    /// <exception cref="RewardModelException">The model threw or returned an invalid score.</exception>
    public static double[] Score(
        IRewardModel reward, IReadOnlyList<PromptResponse> pairs, NonFiniteRewardHandling handling, ILogger logger,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<double> scores = Call(reward, pairs, static (model, batch) => model.Score(batch), cancellationToken);
        if (scores is null || scores.Count != pairs.Count)
        {
            throw new RewardModelException(
                $"Reward model '{reward.Name}' returned {scores?.Count.ToString(CultureInfo.InvariantCulture) ?? "null"} scores "
                + $"for {pairs.Count} pairs; its Score must return one score per pair, in input order.",
                reward.Name,
                -1);
        }

        var checkedScores = new double[scores.Count];
        int replaced = 0;
        for (int i = 0; i < checkedScores.Length; i++)
        {
            checkedScores[i] = Check(reward.Name, reward.Name, i, scores[i], handling, ref replaced);
        }

        LogIfReplaced(logger, reward.Name, replaced, pairs.Count);
        return checkedScores;
    }

    /// <summary>
    /// Calls the model and wraps what it throws. When a batch fails, each pair is scored alone to
    /// find the first one that fails by itself, so the message can name its index.
    /// </summary>
    /// <remarks>
    /// An <see cref="OperationCanceledException"/> counts as a failure unless <paramref name="cancellationToken"/>
    /// is canceled, because a reward model never receives the caller's token: its own exception means a
    /// timeout or a cancellation inside the model, such as an HTTP client's timeout.
    /// </remarks>
    private static T Call<T>(
        IRewardModel reward, IReadOnlyList<PromptResponse> pairs, Func<IRewardModel, IReadOnlyList<PromptResponse>, T> score,
        CancellationToken cancellationToken)
    {
        try
        {
            return score(reward, pairs);
        }
        catch (Exception error) when (IsRewardFailure(error, cancellationToken))
        {
            int index = FindFailingPair(reward, pairs, score, cancellationToken);
            string where = index >= 0
                ? string.Create(CultureInfo.InvariantCulture, $"pair {index} of {pairs.Count} fails when scored alone")
                : string.Create(CultureInfo.InvariantCulture, $"no single pair of the {pairs.Count} fails when scored alone");
            throw new RewardModelException(
                $"Reward model '{reward.Name}' threw {error.GetType().Name} while scoring a batch of {pairs.Count} pairs "
                + $"({where}): {error.Message} Fix the reward model, or make it return a score in [0, 1] for such input.",
                reward.Name,
                index,
                error);
        }
    }

    private static int FindFailingPair<T>(
        IRewardModel reward, IReadOnlyList<PromptResponse> pairs, Func<IRewardModel, IReadOnlyList<PromptResponse>, T> score,
        CancellationToken cancellationToken)
    {
        for (int i = 0; i < pairs.Count; i++)
        {
            try
            {
                score(reward, [pairs[i]]);
            }
            catch (Exception error) when (IsRewardFailure(error, cancellationToken) || error is RewardModelException)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsRewardFailure(Exception error, CancellationToken cancellationToken) =>
        error is not (RewardModelException or OutOfMemoryException)
        && !(error is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private static double Check(
        string reward, string objective, int index, double score, NonFiniteRewardHandling handling, ref int replaced)
    {
        if (!double.IsFinite(score))
        {
            if (handling == NonFiniteRewardHandling.ReplaceWithZero)
            {
                replaced++;
                return 0.0;
            }

            throw new RewardModelException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Reward model '{reward}' returned {score} for objective '{objective}' at pair {index}, but scores must be "
                    + $"finite numbers in [0, 1]. Fix the reward model, or set NonFiniteRewards to ReplaceWithZero "
                    + $"to score such pairs 0 with a logged count."),
                objective,
                index);
        }

        if (score < 0 || score > 1)
        {
            throw new RewardModelException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Reward model '{reward}' returned {score} for objective '{objective}' at pair {index}, outside [0, 1]. "
                    + $"Scale the model's scores into [0, 1], for example with a logistic function or by clamping."),
                objective,
                index);
        }

        return score;
    }

    private static void LogIfReplaced(ILogger logger, string reward, int replaced, int pairs)
    {
        if (replaced > 0)
        {
            LogNonFiniteScoresReplaced(logger, reward, replaced, pairs);
        }
    }

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Reward model {Reward} returned {Count} non-finite scores for {Pairs} pairs; they were replaced by 0")]
    private static partial void LogNonFiniteScoresReplaced(ILogger logger, string reward, int count, int pairs);
}
