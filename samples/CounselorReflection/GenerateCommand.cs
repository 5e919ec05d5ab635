using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Emorl.Aggregation;
using Emorl.Checkpoints;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Tokenization;

namespace CounselorReflection;

/// <summary>
/// Generates reflections from the base model and adapters that a run saved, with weights from the
/// command line or the run's searched weights, without retraining.
/// </summary>
internal static class GenerateCommand
{
    /// <summary>
    /// Runs the generate command line: prints the help, or parses the options and replies, and writes
    /// every expected failure to <paramref name="error"/> as one line instead of a stack trace.
    /// </summary>
    /// <returns>The process exit code: 0 on success, 1 when generation failed, 2 for invalid options.</returns>
    public static int RunCommandLine(string[] arguments, TextReader input, TextWriter output, TextWriter error)
    {
        if (Array.Exists(arguments, a => a is "--help" or "-h"))
        {
            output.WriteLine(GenerateOptions.Usage);
            return 0;
        }

        try
        {
            return Run(GenerateOptions.Parse(arguments), input, output, CancellationToken.None);
        }
        catch (ArgumentException failure)
        {
            error.WriteLine(failure.Message);
            return 2;
        }
        catch (Exception failure) when (ExpectedFailures.Contains(failure))
        {
            error.WriteLine($"Failed: {failure.Message}");
            return 1;
        }
    }

    /// <summary>Loads the saved models, then replies to each statement given or read from <paramref name="input"/>.</summary>
    /// <returns>The process exit code: 0 on success.</returns>
    public static int Run(GenerateOptions options, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        var run = SavedRun.Read(options.RunDirectory);
        var weights = options.Weights ?? run.BestWeights
            ?? throw new InvalidDataException($"'{run.ReportPath}' has no search.best_weights; pass --weights with one weight per objective.");
        if (weights.Count != run.Objectives.Count)
        {
            throw new ArgumentException(
                $"Got {weights.Count} weights for the run's {run.Objectives.Count} objectives ({string.Join(", ", run.Objectives)}); "
                + "pass one weight per objective, in that order.");
        }

        string baseDirectory = Path.Combine(options.RunDirectory, "base");
        // A run on --base-model saves that checkpoint's tokenizer files instead of a compact vocabulary.
        var tokenizer = BaseModelFiles.LoadTokenizer(baseDirectory);
        using var baseModel = ModelCheckpoint.LoadModel(baseDirectory, cancellationToken: cancellationToken);
        baseModel.eval();
        var objectives = run.Objectives
            .Select(name => new LoraObjectiveModel(name, baseModel, ModelCheckpoint.LoadAdapter(Path.Combine(options.RunDirectory, "adapters", name), baseModel, cancellationToken: cancellationToken)))
            .ToArray();
        try
        {
            var template = CounselorRun.CreateTemplate(tokenizer, baseModel);
            var aggregator = new HiddenStateAggregator(objectives);
            var decoding = GenerationOptions.CreateGreedy(options.MaxNewTokens > 0 ? options.MaxNewTokens : run.MaxNewTokens);
            decoding.VocabularyLimit = tokenizer.VocabularySize;
            output.WriteLine($"Loaded the base model and the adapters {string.Join(", ", run.Objectives)} from {Path.GetFullPath(options.RunDirectory)}");
            output.WriteLine("Weights: " + string.Join(", ", run.Objectives.Zip(weights, (n, w) => string.Create(CultureInfo.InvariantCulture, $"{n} {w:0.#####}")))
                + (options.Weights is null ? " (searched weights from report.json)" : ""));
            foreach (string statement in Statements(options, input, output))
            {
                var reply = aggregator.Generate([template.EncodePrompt(statement)], weights, tokenizer.EndOfTextId, decoding, cancellationToken: cancellationToken);
                output.WriteLine($"Counselor: {template.DecodeResponse(reply[0])}");
            }

            return 0;
        }
        finally
        {
            foreach (var objective in objectives)
            {
                objective.Dispose();
            }
        }
    }

    private static IEnumerable<string> Statements(GenerateOptions options, TextReader input, TextWriter output)
    {
        if (options.Statements.Count > 0)
        {
            foreach (string statement in options.Statements)
            {
                output.WriteLine($"Client: {statement}");
                yield return statement;
            }

            yield break;
        }

        while (true)
        {
            output.Write("Client (empty line to quit): ");
            string? line = input.ReadLine();
            if (string.IsNullOrWhiteSpace(line))
            {
                yield break;
            }

            yield return line.Trim();
        }
    }

    /// <summary>What the generate command needs from a run's report.json.</summary>
    private sealed record SavedRun(string ReportPath, IReadOnlyList<string> Objectives, IReadOnlyList<double>? BestWeights, int MaxNewTokens)
    {
        public static SavedRun Read(string directory)
        {
            string path = Path.Combine(directory, "report.json");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"'{path}' was not found; pass --from with the output folder of a finished run (it holds report.json, base/ and adapters/).", path);
            }

            using var json = Parse(path);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("objectives", out var names)
                || names.ValueKind != JsonValueKind.Array
                || names.GetArrayLength() == 0
                || names.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String || !IsFolderName(n.GetString()!)))
            {
                throw Invalid(path, "\"objectives\" must be a non-empty list of objective names, each the name of a folder under adapters/");
            }

            var objectives = names.EnumerateArray().Select(n => n.GetString()!).ToArray();
            double[]? best = null;
            if (root.TryGetProperty("search", out var search) && search.ValueKind == JsonValueKind.Object
                && search.TryGetProperty("best_weights", out var weights))
            {
                if (weights.ValueKind != JsonValueKind.Array || weights.EnumerateArray().Any(w => w.ValueKind != JsonValueKind.Number))
                {
                    throw Invalid(path, "\"search.best_weights\" must be a list of numbers, one per objective");
                }

                best = weights.EnumerateArray().Select(w => w.GetDouble()).ToArray();
            }

            // Reports written before max_new_tokens was recorded used the standard preset's 32 tokens.
            int maxNewTokens = 32;
            if (root.TryGetProperty("max_new_tokens", out var tokens)
                && (tokens.ValueKind != JsonValueKind.Number || !tokens.TryGetInt32(out maxNewTokens) || maxNewTokens < 1))
            {
                throw Invalid(path, "\"max_new_tokens\" must be a whole number ≥ 1");
            }

            return new SavedRun(path, objectives, best, maxNewTokens);
        }

        private static JsonDocument Parse(string path)
        {
            try
            {
                return JsonDocument.Parse(File.ReadAllText(path));
            }
            catch (JsonException error)
            {
                throw new InvalidDataException(
                    $"'{path}' is not valid JSON ({error.Message}); restore it from the run, or run the pipeline again to rewrite it.", error);
            }
        }

        private static InvalidDataException Invalid(string path, string rule) =>
            new($"'{path}' is not a report this command can read: {rule}. Restore the file, or run the pipeline again to rewrite it.");

        /// <summary>Accepts a plain folder name, so that a name cannot point outside adapters/.</summary>
        private static bool IsFolderName(string name) =>
            name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\']) < 0;
    }
}
