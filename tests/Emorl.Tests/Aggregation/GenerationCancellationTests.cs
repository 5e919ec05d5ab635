using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Emorl.Aggregation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests.Aggregation;

/// <summary>Progress, cancellation and logging of every generation entry point.</summary>
[Collection("Torch")]
public sealed class GenerationCancellationTests
{
    private const int MaxSteps = 12;

    private static readonly double[] s_weights = [0.7, 0.4];

    private static GenerationOptions Greedy() => GenerationOptions.CreateGreedy(MaxSteps);

    [Fact]
    public void HiddenStateProgressReportsEveryStep()
    {
        using var fixture = new Fixture();
        var aggregator = new HiddenStateAggregator(fixture.Models);
        var reports = new List<GenerationProgress>();

        var result = aggregator.Generate(
            TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy(), new SynchronousProgress<GenerationProgress>(reports.Add));

        Assert.False(result.IsPartial);
        Assert.Equal(result.Steps, reports.Count);
        Assert.Equal(Enumerable.Range(1, result.Steps), reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(MaxSteps, r.MaxSteps));
        Assert.All(reports, r => Assert.Equal(3, r.Rows));
        Assert.InRange(result.Steps, 1, MaxSteps);
    }

    [Fact]
    public void HiddenStateCancelReturnsPrefixOfFullResponses()
    {
        using var fixture = new Fixture();
        var aggregator = new HiddenStateAggregator(fixture.Models);
        var full = aggregator.Generate(TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy());
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<GenerationProgress>(p =>
        {
            if (p.Step == 3)
            {
                cancellation.Cancel();
            }
        });

        var partial = aggregator.Generate(
            TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy(), progress, cancellationToken: cancellation.Token);

        Assert.True(partial.IsPartial);
        Assert.Equal(3, partial.Steps);
        Assert.Equal(full.Count, partial.Responses.Count);
        for (int row = 0; row < full.Count; row++)
        {
            Assert.Equal(full[row].Take(3), partial.Responses[row]);
        }
    }

    [Fact]
    public void HiddenStateListOverloadThrowsOnCancel()
    {
        using var fixture = new Fixture();
        var aggregator = new HiddenStateAggregator(fixture.Models);

        Assert.ThrowsAny<OperationCanceledException>(() => aggregator.Generate(
            TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy(), cancellationToken: new CancellationToken(canceled: true)));
    }

    [Fact]
    public void CanceledTokenPicksNoToken()
    {
        using var fixture = new Fixture();
        var aggregator = new HiddenStateAggregator(fixture.Models);

        var result = aggregator.Generate(
            TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy(), progress: null,
            cancellationToken: new CancellationToken(canceled: true));

        Assert.True(result.IsPartial);
        Assert.Equal(0, result.Steps);
        Assert.All(result.Responses, Assert.Empty);
    }

    [Fact]
    public void LogitsCancelReturnsPartialResult()
    {
        using var fixture = new Fixture();
        var aggregator = new LogitsAggregator(fixture.Models);
        var full = aggregator.Generate(TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy());
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<GenerationProgress>(p =>
        {
            if (p.Step == 2)
            {
                cancellation.Cancel();
            }
        });

        var partial = aggregator.Generate(
            TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy(), progress, cancellationToken: cancellation.Token);

        Assert.True(partial.IsPartial);
        Assert.Equal(2, partial.Steps);
        for (int row = 0; row < full.Count; row++)
        {
            Assert.Equal(full[row].Take(2), partial.Responses[row]);
        }
    }

    [Fact]
    public void SingleModelCancelReturnsPartialResult()
    {
        using var fixture = new Fixture();
        var full = fixture.Models[0].Generate(TinyModels.Prompts(), TinyModels.EndOfText, Greedy());
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<GenerationProgress>(p =>
        {
            if (p.Step == 4)
            {
                cancellation.Cancel();
            }
        });

        var partial = fixture.Models[0].Generate(
            TinyModels.Prompts(), TinyModels.EndOfText, Greedy(), progress, cancellationToken: cancellation.Token);

        Assert.True(partial.IsPartial);
        Assert.Equal(4, partial.Steps);
        for (int row = 0; row < full.Count; row++)
        {
            Assert.Equal(full[row].Take(4), partial.Responses[row]);
        }
    }

    [Fact]
    public void ParameterAggregationCancelReturnsPartialResult()
    {
        using var fixture = new Fixture();
        using var aggregation = new ParameterAggregation(fixture.Base, [fixture.AdapterA, fixture.AdapterB]);
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<GenerationProgress>(p =>
        {
            if (p.Step == 1)
            {
                cancellation.Cancel();
            }
        });

        var partial = aggregation.Generate(
            TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy(), progress, cancellationToken: cancellation.Token);

        Assert.True(partial.IsPartial);
        Assert.Equal(1, partial.Steps);
        Assert.All(partial.Responses, r => Assert.True(r.Length <= 1));
    }

    [Fact]
    public void GenerationEventsHaveExpectedLevels()
    {
        using var fixture = new Fixture();
        var logs = new LogCapture();
        var aggregator = new HiddenStateAggregator(fixture.Models, logger: logs.For<HiddenStateAggregator>());
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<GenerationProgress>(p =>
        {
            if (p.Step == 2)
            {
                cancellation.Cancel();
            }
        });

        aggregator.Generate(TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy());
        aggregator.Generate(TinyModels.Prompts(), s_weights, TinyModels.EndOfText, Greedy(), progress, cancellationToken: cancellation.Token);

        LogEntry created = Assert.Single(logs.WithEvent("AggregatorCreated"));
        Assert.Equal(LogLevel.Debug, created.Level);
        Assert.Equal(typeof(HiddenStateAggregator).FullName, created.Category);
        Assert.Contains("2 objective models", created.Message, StringComparison.Ordinal);
        LogEntry generated = Assert.Single(logs.WithEvent("Generated"));
        Assert.Equal(LogLevel.Debug, generated.Level);
        Assert.Contains("0.7, 0.4", generated.Message, StringComparison.Ordinal);
        LogEntry canceled = Assert.Single(logs.WithEvent("GenerationCanceled"));
        Assert.Equal(LogLevel.Information, canceled.Level);
        Assert.Contains("after 2 of at most 12 steps", canceled.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParameterAggregationLogsEachMerge()
    {
        using var fixture = new Fixture();
        var logs = new LogCapture();
        using var aggregation = new ParameterAggregation(fixture.Base, [fixture.AdapterA, fixture.AdapterB], logs.For<ParameterAggregation>());

        aggregation.Generate(TinyModels.Prompts(), s_weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(2));
        aggregation.Generate(TinyModels.Prompts(), s_weights, TinyModels.EndOfText, GenerationOptions.CreateGreedy(2));
        using var merged = aggregation.Merge([0.5, 0.0]);

        var merges = logs.WithEvent("AdaptersMerged");
        Assert.Equal(2, merges.Count);
        Assert.All(merges, e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.Contains("weights 0.7, 0.4", merges[0].Message, StringComparison.Ordinal);
        Assert.Contains("weights 0.5, 0", merges[1].Message, StringComparison.Ordinal);
        Assert.Equal(2, logs.WithEvent("Generated").Count);
    }

    /// <summary>A tiny base model with two perturbed adapters.</summary>
    private sealed class Fixture : IDisposable
    {
        public Fixture()
        {
            Base = TinyModels.Create();
            AdapterA = TinyModels.PerturbedAdapter(Base, 1);
            AdapterB = TinyModels.PerturbedAdapter(Base, 2);
            Models =
            [
                new LoraObjectiveModel("a", Base, AdapterA, false),
                new LoraObjectiveModel("b", Base, AdapterB, false),
            ];
        }

        public Gpt2Model Base { get; }

        public LoraAdapter AdapterA { get; }

        public LoraAdapter AdapterB { get; }

        public IReadOnlyList<IObjectiveModel> Models { get; }

        public void Dispose()
        {
            AdapterA.Dispose();
            AdapterB.Dispose();
            Base.Dispose();
        }
    }
}
