using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CounselorReflection;

/// <summary>Writes the baseline comparison section of report.md.</summary>
internal static class BaselineReportWriter
{
    public static void Append(StringBuilder text, BaselineComparisonReport baselines, System.Collections.Generic.IReadOnlyList<string> objectives)
    {
        text.AppendLine();
        text.AppendLine("## EMORL and baselines (test split, greedy decoding)");
        text.AppendLine();
        text.AppendLine(Invariant($"Single-policy baselines train one LoRA adapter on all objectives with the run's RL algorithm, at most {baselines.BaselineSteps} steps each. EMORL's and Model Soups' data points and seconds sum the three objective adapters' training; search seconds are listed apart."));
        text.AppendLine();
        text.AppendLine("| method | weights | " + string.Join(" | ", objectives) + " | mean | Distinct-2 | data points | training s | search s |");
        text.AppendLine("|---|---|" + string.Concat(objectives.Select(_ => "---|")) + "---|---|---|---|---|");
        foreach (var method in baselines.Methods)
        {
            string weights = method.Weights is null ? "" : "(" + string.Join(", ", method.Weights.Select(w => w.ToString("0.###", CultureInfo.InvariantCulture))) + ")";
            text.AppendLine(Invariant($"| {method.Name} | {weights} | ")
                + string.Join(" | ", objectives.Select(o => method.TestScores[o].ToString("F3", CultureInfo.InvariantCulture)))
                + Invariant($" | {method.TestMean:F3} | {method.Distinct2:F3} | {method.TrainingDataPoints} | {method.TrainingSeconds:F0} | {method.SearchSeconds:F0} |"));
        }

        text.AppendLine();
        text.AppendLine("| baseline | steps | data points | seconds | converged | validation score (first → last) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var (name, training) in baselines.Training)
        {
            string curve = training.ValidationScores.Count == 0 ? "" : Invariant($"{training.ValidationScores[0]:F3} → {training.ValidationScores[^1]:F3}");
            text.AppendLine(Invariant($"| {name} | {training.Steps} | {training.DataPoints} | {training.Seconds:F1} | {training.Converged} | {curve} |"));
        }
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
