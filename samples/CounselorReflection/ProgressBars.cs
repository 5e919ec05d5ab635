using System;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace CounselorReflection;

/// <summary>
/// Shows one Spectre.Console progress bar per long stage. With output redirected to a file,
/// Spectre prints a plain percentage line about once a second instead of a bar and never prints the
/// finished task, so every stage ends with a closing line of its own.
/// </summary>
internal static class ProgressBars
{
    /// <summary>Formats a search's best score so far, which is −∞ until the first point is scored.</summary>
    public static string FormatBest(double best) =>
        double.IsNegativeInfinity(best) ? "none yet" : best.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>Runs one stage under a bar with <paramref name="total"/> units and prints its closing line.</summary>
    /// <param name="title">The bar's label, such as <c>warm-up</c>.</param>
    /// <param name="total">Units of work the stage reports, at least 1.</param>
    /// <param name="work">The stage; it reports (units done, short status) through the progress it receives.</param>
    /// <param name="summary">The closing line's text, from the stage's result.</param>
    public static T Run<T>(string title, int total, Func<IProgress<(int Completed, string Status)>, T> work, Func<T, string> summary)
    {
        var clock = Stopwatch.StartNew();
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: Math.Max(1, total));
                result = work(new TaskProgress(task, title));
                task.Value = task.MaxValue;
                task.StopTask();
            });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {title}: done in {clock.Elapsed.TotalSeconds:F1} s, {summary(result)}"));
        return result;
    }

    /// <summary>Moves the bar synchronously on the reporting thread and shows the latest status beside the title.</summary>
    private sealed class TaskProgress : IProgress<(int Completed, string Status)>
    {
        private readonly ProgressTask _task;
        private readonly string _title;

        public TaskProgress(ProgressTask task, string title)
        {
            _task = task;
            _title = title;
        }

        public void Report((int Completed, string Status) value)
        {
            _task.Value = Math.Min(value.Completed, _task.MaxValue);
            _task.Description = Markup.Escape($"{_title} {value.Status}");
        }
    }
}
