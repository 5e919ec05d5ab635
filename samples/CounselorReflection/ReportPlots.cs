using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace CounselorReflection;

/// <summary>Draws the report's PNG plots with ScottPlot, using the font shipped with the sample.</summary>
internal static class ReportPlots
{
    /// <summary>The name the shipped font is registered under; no system font has it, so ScottPlot cannot pick another.</summary>
    public const string FontName = "Counselor Sample Sans";

    public const string ScoresFile = "objective-scores.png";
    public const string TrainingFile = "training-curves.png";
    public const string WarmupFile = "warmup-loss.png";
    public const string SearchScoresFile = "search-scores.png";
    public const string SearchWeightsFile = "search-weights.png";

    private const int Width = 900;
    private const int WideWidth = 1250;
    private const int Height = 540;
    private static readonly object s_fontLock = new();
    private static bool s_fontRegistered;

    /// <summary>Writes every plot the report has data for and returns the file names written.</summary>
    public static IReadOnlyList<string> Write(RunReport report, string directory)
    {
        UseShippedFont();
        var written = new List<string>();
        Save(ObjectiveScores(report), directory, ScoresFile, written);
        Save(TrainingCurves(report), directory, TrainingFile, written, WideWidth);
        Save(WarmupLoss(report), directory, WarmupFile, written);
        Save(SearchScores(report), directory, SearchScoresFile, written);
        if (report.Objectives.Count == 3)
        {
            Save(SearchWeights(report), directory, SearchWeightsFile, written);
        }

        return written;
    }

    /// <summary>Registers the regular and bold DejaVu Sans files next to the program as ScottPlot's default font, once per process.</summary>
    public static void UseShippedFont()
    {
        lock (s_fontLock)
        {
            if (s_fontRegistered)
            {
                return;
            }

            // Titles and axis labels are bold, so both faces are needed. A missing face falls back to a
            // system font, and on a machine without fonts that means no text at all.
            Fonts.AddFontFile(FontName, FontPath("DejaVuSans.ttf"), bold: false, italic: false);
            Fonts.AddFontFile(FontName, FontPath("DejaVuSans-Bold.ttf"), bold: true, italic: false);
            Fonts.Default = FontName;
            s_fontRegistered = true;
        }
    }

    private static string FontPath(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fonts", fileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"The plot font '{path}' is missing, so plots would have no text; rebuild the sample to copy Fonts/ to its output.", path);
    }

    private static Plot ObjectiveScores(RunReport report)
    {
        var plot = new Plot();
        var series = report.Objectives.Append("mean").ToArray();
        int groupWidth = series.Length + 1;
        var palette = new ScottPlot.Palettes.Category10();
        for (int s = 0; s < series.Length; s++)
        {
            var bars = report.Models.Select((model, m) => new Bar
            {
                Position = (m * groupWidth) + s,
                Value = s < report.Objectives.Count ? model.TestScores[series[s]] : model.TestMean,
                FillColor = palette.GetColor(s),
            }).ToArray();
            plot.Add.Bars(bars).LegendText = series[s];
        }

        double[] ticks = report.Models.Select((_, m) => (m * groupWidth) + ((series.Length - 1) / 2.0)).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, report.Models.Select(m => m.Name).ToArray());
        plot.Axes.SetLimitsY(0, 1.1);
        plot.Title("Test-split scores of every model (greedy decoding)");
        plot.YLabel("mean score");
        plot.ShowLegend(Alignment.UpperRight, Orientation.Horizontal);
        return plot;
    }

    private static Plot TrainingCurves(RunReport report)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (var (name, training) in report.Training)
        {
            var color = palette.GetColor(index++);
            if (training.StepScores.Count > 0)
            {
                double[] steps = Enumerable.Range(1, training.StepScores.Count).Select(s => (double)s).ToArray();
                var line = plot.Add.Scatter(steps, training.StepScores.ToArray(), color);
                line.LegendText = $"{name}: mean reward of the step's samples";
                line.MarkerSize = 0;
                line.LinePattern = LinePattern.Dotted;
            }

            if (training.ValidationScores.Count > 0)
            {
                var validation = plot.Add.Scatter(
                    training.ValidationSteps.Select(s => (double)s).ToArray(), training.ValidationScores.ToArray(), color);
                validation.LegendText = $"{name}: validation score";
                validation.LineWidth = 2;
                validation.MarkerSize = 7;
            }
        }

        plot.Title($"{report.Algorithm} training of each objective");
        plot.XLabel("optimizer step");
        plot.YLabel("score");

        // Six entries would cover the curves inside the data area, so the legend sits beside it.
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot WarmupLoss(RunReport report)
    {
        var plot = new Plot();
        double[] steps = Enumerable.Range(1, report.Warmup.LossCurve.Count).Select(s => (double)s).ToArray();
        var line = plot.Add.Scatter(steps, report.Warmup.LossCurve.ToArray());
        line.MarkerSize = 0;
        plot.Title("Supervised warm-up of the base model");
        plot.XLabel("optimizer step");
        plot.YLabel("next-token loss (nats)");
        return plot;
    }

    private static Plot SearchScores(RunReport report)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var history = report.Search.History;
        foreach (var level in history.Select(h => h.Level).Distinct().Order())
        {
            var visits = history.Select((point, i) => (point, i)).Where(v => v.point.Level == level).ToArray();
            var markers = plot.Add.ScatterPoints(
                visits.Select(v => (double)(v.i + 1)).ToArray(), visits.Select(v => v.point.Score).ToArray(), palette.GetColor(level - 1));
            markers.LegendText = $"level {level}";
            markers.MarkerSize = 7;
        }

        var best = plot.Add.HorizontalLine(report.Search.BestValidationMean);
        best.LegendText = $"best {report.Search.BestValidationMean:F3}";
        best.LinePattern = LinePattern.Dashed;
        best.Color = Colors.Gray;
        plot.Title("Hierarchical grid search: every visit in order");
        plot.XLabel("grid-point visit");
        plot.YLabel("mean validation reward");
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>
    /// Places each visited weight vector on the triangle of normalised weights w / Σw, because greedy
    /// decoding depends only on the direction of w. The all-zero point has no direction and is left out.
    /// </summary>
    private static Plot SearchWeights(RunReport report)
    {
        var plot = new Plot();
        var points = report.Search.History.Where(h => h.Weights.Sum() > 0).ToArray();
        double low = points.Min(p => p.Score);
        double high = points.Max(p => p.Score);
        var colormap = new ScottPlot.Colormaps.Viridis();
        foreach (var point in points)
        {
            var (x, y) = ToTriangle(point.Weights);
            double fraction = high > low ? (point.Score - low) / (high - low) : 1;
            plot.Add.Marker(x, y, MarkerShape.FilledCircle, 11, colormap.GetColor(fraction));
        }

        var (bestX, bestY) = ToTriangle(report.Search.BestWeights);
        var best = plot.Add.Marker(bestX, bestY, MarkerShape.OpenCircle, 22, Colors.Red);
        best.LegendText = $"best {report.Search.BestValidationMean:F3}";
        AddTriangle(plot, report.Objectives);
        plot.Title($"Weight search: colour from {low:F3} (dark) to {high:F3} (yellow)");
        plot.Axes.SetLimits(-0.15, 1.15, -0.12, 1.0);
        plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.HideGrid();
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static (double X, double Y) ToTriangle(IReadOnlyList<double> weights)
    {
        double sum = weights.Sum();
        double second = weights[1] / sum;
        double third = weights[2] / sum;
        return (second + (third / 2), third * Math.Sqrt(3) / 2);
    }

    private static void AddTriangle(Plot plot, IReadOnlyList<string> objectives)
    {
        double top = Math.Sqrt(3) / 2;
        double[] xs = [0.0, 1.0, 0.5, 0.0];
        double[] ys = [0.0, 0.0, top, 0.0];
        var edge = plot.Add.Scatter(xs, ys, Colors.Gray);
        edge.MarkerSize = 0;
        plot.Add.Text(objectives[0], -0.12, -0.06);
        plot.Add.Text(objectives[1], 0.95, -0.06);
        plot.Add.Text(objectives[2], 0.45, top + 0.07);
    }

    private static void Save(Plot plot, string directory, string fileName, List<string> written, int width = Width)
    {
        plot.SavePng(Path.Combine(directory, fileName), width, Height);
        written.Add(fileName);
    }
}
