using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Emorl.Tests.Packaging;
using HostedObjectives;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Emorl.Tests.Samples;

[Collection("Torch")]
public sealed class HostedObjectivesSampleTests
{
    private static readonly string[] s_tinyArguments =
    [
        "--Emorl:Model:LayerCount=1",
        "--Emorl:Model:HiddenSize=32",
        "--Emorl:Model:HeadCount=2",
        "--Emorl:Warmup:Steps=20",
        "--Emorl:Training:MaxSteps=2",
        "--Emorl:Training:PromptsPerStep=2",
        "--Emorl:Training:ValidationInterval=1",
        "--Emorl:Training:ValidationPrompts=2",
        "--Emorl:Training:Sampling:MaxNewTokens=8",
        "--Emorl:Decoding:MaxNewTokens=8",
        "--Emorl:Search:Levels=1",
        "--Logging:LogLevel:Default=Warning",
    ];

    [Fact]
    public async Task TinyRunTrainsBothSampleObjectives()
    {
        using var host = HostedApp.Build(s_tinyArguments);
        await host.StartAsync();

        var result = host.Services.GetRequiredService<ReflectionJob>().Run(default);
        await host.StopAsync();

        Assert.Equal(["feeling-words", "brevity"], result.Objectives);
        Assert.Equal(2, result.BestWeights.Count);
        Assert.Equal(3, result.Statements.Count);
        Assert.Equal(["feeling-words only", "brevity only", "searched"], result.Replies.Select(r => r.Label));
        Assert.All(result.Replies, r => Assert.Equal(3, r.Replies.Count));
    }

    [Fact]
    public void SigtermStopsTrainingAndReportsWhatFinished()
    {
        string[] arguments =
        [
            SampleAssembly(),
            "--Emorl:Model:LayerCount=1",
            "--Emorl:Model:HiddenSize=32",
            "--Emorl:Model:HeadCount=2",
            "--Emorl:Warmup:Steps=3",
            "--Emorl:Training:MaxSteps=400",
            "--Emorl:Training:PromptsPerStep=2",
            "--Emorl:Training:ValidationInterval=100",
            "--Emorl:Training:Sampling:MaxNewTokens=8",
        ];
        var start = new ProcessStartInfo("dotnet", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OMP_NUM_THREADS"] = "1";
        var output = new StringBuilder();
        using var trainingStarted = new ManualResetEventSlim();
        void Append(string? line)
        {
            lock (output)
            {
                output.AppendLine(line);
                if (line?.Contains(" training of feeling-words on ", StringComparison.Ordinal) == true)
                {
                    trainingStarted.Set();
                }
            }
        }

        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Assert.True(trainingStarted.Wait(TimeSpan.FromMinutes(2)), "training never started:\n" + Text(output));
            SendSigterm(process.Id);
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the sample did not stop after SIGTERM:\n" + Text(output));
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string log = Text(output);
        Assert.True(process.ExitCode == 143, $"exit code {process.ExitCode}:\n{log}");
        Assert.Contains("Stopped on request after the current step; finished: warm-up (3 steps)", log, StringComparison.Ordinal);
        Assert.Contains("feeling-words training cancelled after step", log, StringComparison.Ordinal);
        Assert.Contains("Stopped by SIGTERM; exit code 143.", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Searched weights", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidSettingsAreReportedTogetherAtStart()
    {
        using var host = HostedApp.Build(
            ["--Emorl:Training:LearningRate=-1", "--Emorl:Search:Levels=0", "--Brevity:TargetWords=0"]);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(HostedApp.TryGetConfigurationFailures(error, out var failures), error.ToString());
        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Training.LearningRate", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Search.Levels", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Brevity:TargetWords", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MisspeltAndUnconvertibleSettingsAreReportedAtStart()
    {
        using var host = HostedApp.Build(["--Emorl:Training:LearningRate=abc", "--Emorl:Search:Levl=2"]);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(HostedApp.TryGetConfigurationFailures(error, out var failures), error.ToString());
        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Emorl:Training:LearningRate is 'abc'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Emorl:Search:Levl is not a setting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnconvertibleSampleSettingIsReportedAtStart()
    {
        using var host = HostedApp.Build(["--Brevity:TargetWords=abc"]);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(HostedApp.TryGetConfigurationFailures(error, out var failures), error.ToString());
        var failure = Assert.Single(failures);
        Assert.Contains("'abc' at 'Brevity:TargetWords'", failure, StringComparison.Ordinal);
    }

    /// <summary>Finds the sample's own build output for the configuration and framework these tests run under.</summary>
    private static string SampleAssembly()
    {
        string root = MarkdownCodeBlocks.RepositoryRoot();
        string tests = Path.Combine(root, "tests", "Emorl.Tests");
        string relative = Path.GetRelativePath(tests, AppContext.BaseDirectory);
        string assembly = Path.Combine(root, "samples", "HostedObjectives", relative, "HostedObjectives.dll");
        Assert.True(File.Exists(assembly), $"'{assembly}' is missing; build samples/HostedObjectives first.");
        return assembly;
    }

    private static void SendSigterm(int processId)
    {
        using var kill = Process.Start("kill", ["-TERM", processId.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
