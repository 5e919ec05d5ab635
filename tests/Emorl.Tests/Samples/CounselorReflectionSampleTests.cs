using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using CounselorReflection;
using Emorl.Tests.Data;
using Xunit.Abstractions;

namespace Emorl.Tests.Samples;

[Collection("Torch")]
public sealed class CounselorReflectionSampleTests
{
    private readonly ITestOutputHelper _output;

    public CounselorReflectionSampleTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void TinyRunOnEmbeddedDataWritesTheReport() => RunAndCheck();

    [Theory]
    [InlineData("0.5,NaN,0.2", "weight 2 ('NaN') is not a finite number")]
    [InlineData("0.5,Infinity,0.2", "weight 2 ('Infinity') is not a finite number")]
    [InlineData("0.5,abc", "weight 2 ('abc') is not a finite number")]
    [InlineData("0.5,-0.1,0.2", "weight 2 ('-0.1') is negative, but weights must be ≥ 0")]
    [InlineData("0,0,0", "are all 0")]
    public void InvalidWeightsOptionIsRejected(string weights, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => GenerateOptions.Parse(["--weights", weights]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TinyRunOnPairWritesTheReport()
    {
        string relative = Path.Combine("pair", "pair_data.csv");
        string? pair = SharedData.FindFile(relative);
        if (pair is null)
        {
            _output.WriteLine(SharedData.SkipMessage(relative));
            return;
        }

        RunAndCheck("--data", pair);
    }

    [Fact]
    public void TinyPpoRunWithBaselinesReportsEveryMethod()
    {
        string output = Path.Combine(Path.GetTempPath(), "emorl-sample-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = SampleOptions.Parse(
                ["--preset", "tiny", "--out", output, "--seed", "3", "--baselines", "--baseline-steps", "3", "--algorithm", "ppo", "--validation-interval", "1"]);

            var report = new CounselorRun(options, default).Run();
            ReportWriter.Write(report, output);

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
            Assert.Equal("Ppo", json.RootElement.GetProperty("algorithm").GetString());
            Assert.Equal(options.RlSteps, json.RootElement.GetProperty("training").GetProperty("empathy").GetProperty("validation_scores").GetArrayLength());
            var baselines = json.RootElement.GetProperty("baselines");
            var methods = baselines.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString() ?? "");
            Assert.Equal(["base", "emorl", "uniform_weighted", "dynaopt", "model_soups"], methods.Keys);
            foreach (var method in methods.Values)
            {
                Assert.Equal(3, method.GetProperty("test_scores").EnumerateObject().Count());
                Assert.InRange(method.GetProperty("test_mean").GetDouble(), 0, 1);
                Assert.InRange(method.GetProperty("distinct2").GetDouble(), 0, 1);
            }

            int perStep = options.PromptsPerStep;
            Assert.Equal(0, methods["base"].GetProperty("training_data_points").GetInt32());
            Assert.Equal(3 * options.RlSteps * perStep, methods["emorl"].GetProperty("training_data_points").GetInt32());
            Assert.Equal(3 * perStep, methods["uniform_weighted"].GetProperty("training_data_points").GetInt32());
            Assert.Equal(3 * perStep, methods["dynaopt"].GetProperty("training_data_points").GetInt32());
            Assert.Equal(3 * options.RlSteps * perStep, methods["model_soups"].GetProperty("training_data_points").GetInt32());
            Assert.True(methods["dynaopt"].GetProperty("training_seconds").GetDouble() > 0);
            Assert.Equal(3, methods["model_soups"].GetProperty("weights").GetArrayLength());
            Assert.Equal(2 * 27, baselines.GetProperty("model_soups_search").GetProperty("evaluations").GetInt32());
            Assert.True(File.Exists(Path.Combine(output, "adapters", "dynaopt", "adapter_model.safetensors")));
            Assert.Contains("## EMORL and baselines", File.ReadAllText(Path.Combine(output, "report.md")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("--algorithm", "sac", "Unknown algorithm 'sac'; use kscst, ppo or rloo.")]
    [InlineData("--validation-interval", "0", "--validation-interval is '0'; it must be a whole number ≥ 1.")]
    public void BadTrainingOptionsAreNamed(string name, string value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => SampleOptions.Parse([name, value]));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void NewRunRemovesEarlierReportFirst()
    {
        string output = Path.Combine(Path.GetTempPath(), "emorl-stale-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(output);
            string report = Path.Combine(output, "report.json");
            File.WriteAllText(report, "{\"objectives\": [\"reflection\"]}");
            var options = SampleOptions.Parse(["--preset", "tiny", "--out", output]);
            using var cancelled = new System.Threading.CancellationTokenSource();
            cancelled.Cancel();

            Assert.ThrowsAny<OperationCanceledException>(() => new CounselorRun(options, cancelled.Token).Run());

            Assert.False(File.Exists(report), "a cancelled run left the earlier run's report.json, which generate would read");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static void RunAndCheck(params string[] extraArguments)
    {
        string output = Path.Combine(Path.GetTempPath(), "emorl-sample-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = SampleOptions.Parse(["--preset", "tiny", "--out", output, "--seed", "3", .. extraArguments]);

            var report = new CounselorRun(options, default).Run();
            ReportWriter.Write(report, output);

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
            AssertReportShape(json.RootElement);
            Assert.True(File.Exists(Path.Combine(output, "report.md")));
            Assert.True(File.Exists(Path.Combine(output, "base", "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(output, "adapters", "empathy", "adapter_model.safetensors")));
            AssertPlots(output);
            AssertGenerateReusesSavedModels(output);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static void AssertPlots(string output)
    {
        string markdown = File.ReadAllText(Path.Combine(output, "report.md"));
        string[] plots =
        [
            ReportPlots.ScoresFile, ReportPlots.TrainingFile, ReportPlots.WarmupFile, ReportPlots.SearchScoresFile, ReportPlots.SearchWeightsFile,
        ];
        foreach (string plot in plots)
        {
            var file = new FileInfo(Path.Combine(output, plot));
            Assert.True(file.Exists, $"{plot} was not written");
            Assert.True(file.Length > 10_000, $"{plot} has only {file.Length} bytes");
            Assert.Contains($"]({plot})", markdown, StringComparison.Ordinal);
        }
    }

    private static void AssertGenerateReusesSavedModels(string output)
    {
        var replies = new StringWriter();
        var options = GenerateOptions.Parse(["--from", output, "I keep arguing with my brother about money.", "Work never stops."]);

        int exitCode = GenerateCommand.Run(options, new StringReader(""), replies, default);

        string text = replies.ToString();
        Assert.Equal(0, exitCode);
        Assert.Contains("(searched weights from report.json)", text, StringComparison.Ordinal);
        Assert.Equal(2, text.Split('\n').Count(line => line.StartsWith("Counselor: ", StringComparison.Ordinal)));

        var interactive = new StringWriter();
        GenerateCommand.Run(GenerateOptions.Parse(["--from", output, "--weights", "1,0,0"]), new StringReader("Work never stops.\n\n"), interactive, default);
        Assert.Contains("Weights: reflection 1, empathy 0, fluency 0", interactive.ToString(), StringComparison.Ordinal);
        Assert.Single(interactive.ToString().Split('\n'), line => line.Contains("Counselor: ", StringComparison.Ordinal));

        var wrongCount = GenerateOptions.Parse(["--from", output, "--weights", "1,0", "x"]);
        var error = Assert.Throws<ArgumentException>(() => GenerateCommand.Run(wrongCount, new StringReader(""), new StringWriter(), default));
        Assert.Contains("Got 2 weights for the run's 3 objectives", error.Message, StringComparison.Ordinal);
    }

    private static void AssertReportShape(JsonElement root)
    {
        Assert.Equal(JsonValueKind.String, root.GetProperty("dataset").ValueKind);
        Assert.Equal(3, root.GetProperty("seed").GetInt32());
        var objectives = root.GetProperty("objectives").EnumerateArray().Select(o => o.GetString() ?? "").ToArray();
        Assert.Equal(["reflection", "empathy", "fluency"], objectives);
        foreach (var objective in objectives)
        {
            var scorer = root.GetProperty("scorers").GetProperty(objective);
            Assert.Equal(JsonValueKind.String, scorer.GetProperty("heldout_metric").ValueKind);
            Assert.Equal(JsonValueKind.Number, scorer.GetProperty("value").ValueKind);
            var training = root.GetProperty("training").GetProperty(objective);
            Assert.True(training.GetProperty("data_points").GetInt32() > 0);
            Assert.True(training.GetProperty("seconds").GetDouble() > 0);
            Assert.Equal(training.GetProperty("steps").GetInt32(), training.GetProperty("step_scores").GetArrayLength());
            Assert.Equal(training.GetProperty("validation_scores").GetArrayLength(), training.GetProperty("validation_steps").GetArrayLength());
        }

        var names = root.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString() ?? "").ToArray();
        Assert.Equal(["base", "reflection", "empathy", "fluency", "uniform", "emorl"], names);
        foreach (var model in root.GetProperty("models").EnumerateArray())
        {
            Assert.Equal(3, model.GetProperty("test_scores").EnumerateObject().Count());
            Assert.InRange(model.GetProperty("test_mean").GetDouble(), 0, 1);
        }

        Assert.Equal(12, root.GetProperty("max_new_tokens").GetInt32());
        Assert.Equal(40, root.GetProperty("warmup").GetProperty("loss_curve").GetArrayLength());
        var search = root.GetProperty("search");
        Assert.Equal(2 * 27, search.GetProperty("evaluations").GetInt32());
        Assert.Equal(27 + 19, search.GetProperty("distinct_points").GetInt32());
        Assert.Equal(3, search.GetProperty("best_weights").GetArrayLength());
        Assert.Equal(JsonValueKind.Number, search.GetProperty("best_validation_mean").ValueKind);
    }
}
