using System;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Emorl.Benchmarks;

namespace Emorl.Tests.Benchmarks;

/// <summary>Runs every benchmark once, in process, on the small parameter set, so none can rot.</summary>
[Collection("Torch")]
public sealed class BenchmarkDryRunTests
{
    [Theory]
    [InlineData(typeof(DecodingStepBenchmarks))]
    [InlineData(typeof(GenerationBenchmarks))]
    [InlineData(typeof(WeightedSumBenchmarks))]
    [InlineData(typeof(TrainingStepBenchmarks))]
    public void EveryCaseRunsInADryJob(Type benchmarks)
    {
        string? previous = Environment.GetEnvironmentVariable(BenchmarkSettings.SmokeVariable);
        Environment.SetEnvironmentVariable(BenchmarkSettings.SmokeVariable, "1");
        try
        {
            var config = ManualConfig.CreateEmpty()
                .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
                .AddLogger(NullLogger.Instance)
                .AddColumnProvider(DefaultColumnProviders.Instance)
                .WithOptions(ConfigOptions.DisableLogFile);

            var summary = BenchmarkRunner.Run(benchmarks, config);

            Assert.False(summary.HasCriticalValidationErrors, string.Join("; ", summary.ValidationErrors.Select(e => e.Message)));
            Assert.NotEmpty(summary.Reports);
            var failed = summary.Reports.Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo).ToArray();
            Assert.True(failed.Length == 0, "Failed cases: " + string.Join(", ", failed));
        }
        finally
        {
            Environment.SetEnvironmentVariable(BenchmarkSettings.SmokeVariable, previous);
        }
    }
}
