using System;
using System.Linq;
using System.Threading.Tasks;
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
}
