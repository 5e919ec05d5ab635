using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace CounselorReflection;

/// <summary>Command-line settings of the <c>generate</c> command.</summary>
internal sealed class GenerateOptions
{
    public string RunDirectory { get; set; } = Path.Combine("runs", "counselor");

    /// <summary>Gets or sets the weights in objective order, or null to take report.json's searched weights.</summary>
    public IReadOnlyList<double>? Weights { get; set; }

    /// <summary>Gets or sets the longest reply in tokens, or 0 to take report.json's value.</summary>
    public int MaxNewTokens { get; set; }

    public List<string> Statements { get; } = [];

    public static string Usage => """
        Usage: dotnet run --project samples/CounselorReflection -c Release -- generate [options] [STATEMENT ...]

        Generates a counselor reflection for each statement with the models a run saved, without
        retraining. With no statement it reads one per line from standard input until an empty line.

          --from DIR          the run's output folder (default runs/counselor)
          --weights W1,W2,..  one weight ≥ 0 per objective, in the run's objective order
                              (default: the searched weights in DIR/report.json)
          --max-new-tokens N  longest reply, in tokens (default: the run's value)
          --help              show this text
          --                  treat every later argument as a statement, even one starting with --
        """;

    public static GenerateOptions Parse(IReadOnlyList<string> args)
    {
        var options = new GenerateOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string argument = args[i];
            if (argument == "--")
            {
                // Everything after -- is a statement, even text that starts with --.
                options.Statements.AddRange(args.Skip(i + 1));
                break;
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal))
            {
                options.Statements.Add(argument);
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"Option {argument} needs a value (or is unknown). Run generate --help for the list.");
            }

            string value = args[++i];
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"Option {argument} is empty; pass a value, or leave the option out for its default.");
            }

            switch (argument)
            {
                case "--from": options.RunDirectory = value; break;
                case "--weights": options.Weights = ParseWeights(value); break;
                case "--max-new-tokens": options.MaxNewTokens = ParseCount(argument, value); break;
                default: throw new ArgumentException(
                    $"Unknown option {argument}. Run generate --help for the list, or put -- before statements that start with --.");
            }
        }

        return options;
    }

    private static double[] ParseWeights(string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var weights = new double[parts.Length];
        for (int k = 0; k < parts.Length; k++)
        {
            if (!double.TryParse(parts[k], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[k])
                || !double.IsFinite(weights[k]))
            {
                throw new ArgumentException(
                    $"--weights '{value}': weight {k + 1} ('{parts[k]}') is not a finite number; pass one number ≥ 0 per objective, such as 0.5,0.25,0.25.");
            }

            if (weights[k] < 0)
            {
                throw new ArgumentException(
                    $"--weights '{value}': weight {k + 1} ('{parts[k]}') is negative, but weights must be ≥ 0; use 0 to leave an objective out.");
            }
        }

        if (weights.All(w => w == 0))
        {
            throw new ArgumentException($"--weights '{value}' are all 0, so every token would get the same logit; give at least one objective a positive weight.");
        }

        return weights;
    }

    private static int ParseCount(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) && parsed >= 1
            ? parsed
            : throw new ArgumentException($"{name} is '{value}'; it must be a whole number ≥ 1.");
}
