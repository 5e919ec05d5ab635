using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CounselorReflection;

/// <summary>Writes report.json, the PNG plots and report.md, which shows the plots.</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new FloatingPointConverter(), new IntegerConverter() },
    };

    public static void Write(RunReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(report, s_json));
        var plots = ReportPlots.Write(report, directory);
        File.WriteAllText(Path.Combine(directory, "report.md"), ToMarkdown(report, plots));
    }

    public static string ToMarkdown(RunReport report, IReadOnlyCollection<string> plots)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"# EMORL run on {report.Dataset}"));
        text.AppendLine();
        text.AppendLine(Invariant($"Seed {report.Seed}; base model {report.Architecture}; RL algorithm {report.Algorithm}; split {report.Split.Train}/{report.Split.Validation}/{report.Split.Test} statements (train/validation/test); total time {report.TotalSeconds:F0} s on {report.Machine.Cpu} ({report.Machine.Threads} threads), {report.Machine.TorchSharp}."));
        text.AppendLine();
        text.AppendLine("## Test-split scores (greedy decoding)");
        text.AppendLine();
        text.AppendLine("| model | weights | " + string.Join(" | ", report.Objectives) + " | mean | Distinct-2 |");
        text.AppendLine("|---|---|" + string.Concat(report.Objectives.Select(_ => "---|")) + "---|---|");
        foreach (var model in report.Models)
        {
            string weights = model.Weights is null ? "" : "(" + string.Join(", ", model.Weights.Select(w => w.ToString("0.###", CultureInfo.InvariantCulture))) + ")";
            text.AppendLine(Invariant($"| {model.Name} | {weights} | ")
                + string.Join(" | ", report.Objectives.Select(o => model.TestScores[o].ToString("F3", CultureInfo.InvariantCulture)))
                + Invariant($" | {model.TestMean:F3} | {model.Distinct2:F3} |"));
        }

        if (report.Baselines is not null)
        {
            BaselineReportWriter.Append(text, report.Baselines, report.Objectives);
        }

        AppendPlot(text, plots, ReportPlots.ScoresFile, "Test-split scores of every model");
        text.AppendLine();
        text.AppendLine("## Training");
        text.AppendLine();
        text.AppendLine(Invariant($"Warm-up: {report.Warmup.Pairs} pairs, {report.Warmup.Steps} steps in {report.Warmup.Seconds:F0} s, loss {report.Warmup.FirstLoss:F2} → {report.Warmup.FinalLoss:F2}, validation perplexity of reference reflections {report.Warmup.ValidationPerplexity:F1}; vocabulary {report.Warmup.VocabularySize} tokens, {report.Warmup.Parameters:N0} parameters."));
        text.AppendLine();
        text.AppendLine("| objective | steps | data points | seconds | converged | validation score (first → last) | final KL |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (name, training) in report.Training)
        {
            string curve = training.ValidationScores.Count == 0 ? "" : Invariant($"{training.ValidationScores[0]:F3} → {training.ValidationScores[^1]:F3}");
            text.AppendLine(Invariant($"| {name} | {training.Steps} | {training.DataPoints} | {training.Seconds:F1} | {training.Converged} | {curve} | {training.FinalKl:F4} |"));
        }

        AppendPlot(text, plots, ReportPlots.TrainingFile, "Training curves of each objective");
        AppendPlot(text, plots, ReportPlots.WarmupFile, "Warm-up loss");

        text.AppendLine();
        text.AppendLine("## Reward models (held-out quality)");
        text.AppendLine();
        text.AppendLine("| objective | metric | value | trained on | held out | source |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var (name, scorer) in report.Scorers)
        {
            text.AppendLine(Invariant($"| {name} | {scorer.HeldoutMetric} | {scorer.Value:F3} | {scorer.TrainingExamples} | {scorer.HeldoutExamples} | {scorer.Source} |"));
        }

        text.AppendLine();
        text.AppendLine("## Weight search");
        text.AppendLine();
        text.AppendLine(Invariant($"Hierarchical grid search, {report.Search.Levels} levels: {report.Search.Evaluations} grid points visited, {report.Search.DistinctPoints} distinct (an exhaustive grid at the same resolution has {report.Search.ExhaustiveGridPoints} points), {report.Search.Seconds:F0} s. Best weights ({string.Join(", ", report.Search.BestWeights.Select(w => w.ToString("0.#####", CultureInfo.InvariantCulture)))}) with validation mean {report.Search.BestValidationMean:F3}."));
        AppendPlot(text, plots, ReportPlots.SearchScoresFile, "Score of every grid-point visit");
        AppendPlot(text, plots, ReportPlots.SearchWeightsFile, "Visited weights on the triangle of normalised weights");
        text.AppendLine();
        text.AppendLine("## Examples (test split)");
        foreach (var example in report.Examples)
        {
            text.AppendLine();
            text.AppendLine("> " + example.Statement.ReplaceLineEndings(" "));
            text.AppendLine();
            foreach (var (model, response) in example.Responses)
            {
                text.AppendLine(Invariant($"- **{model}**: {response.ReplaceLineEndings(" ")}"));
            }
        }

        return text.ToString();
    }

    private static void AppendPlot(StringBuilder text, IReadOnlyCollection<string> plots, string fileName, string description)
    {
        if (plots.Contains(fileName))
        {
            text.AppendLine();
            text.AppendLine($"![{description}]({fileName})");
        }
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes every double with a decimal point (1.0, not 1), so readers get a float where the schema requires one.</summary>
    private sealed class FloatingPointConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (!double.IsFinite(value))
            {
                writer.WriteNullValue();
                return;
            }

            string text = value.ToString("R", CultureInfo.InvariantCulture);
            writer.WriteRawValue(text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0");
        }
    }

    /// <summary>Writes a big integer as a JSON number.</summary>
    private sealed class IntegerConverter : JsonConverter<System.Numerics.BigInteger>
    {
        public override System.Numerics.BigInteger Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            System.Numerics.BigInteger.Parse(reader.GetString() ?? "0", CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, System.Numerics.BigInteger value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.ToString(CultureInfo.InvariantCulture));
    }
}
