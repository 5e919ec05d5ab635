using System;
using System.Globalization;
using System.Linq;
using HostedObjectives;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

IHost host;
try
{
    host = HostedApp.Build(args);
    await host.StartAsync().ConfigureAwait(false);
}
catch (Exception error) when (HostedApp.TryGetConfigurationFailures(error, out var failures))
{
    // ValidateOnStart checks every options type when the host starts, before any model is built.
    Console.Error.WriteLine("Invalid configuration:");
    foreach (string failure in failures)
    {
        Console.Error.WriteLine($"  - {failure}");
    }

    return 2;
}

using (host)
{
    var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
    try
    {
        var result = host.Services.GetRequiredService<ReflectionJob>().Run(lifetime.ApplicationStopping);
        Print(result);
        return 0;
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("Cancelled.");
        return 130;
    }
    finally
    {
        await host.StopAsync().ConfigureAwait(false);
    }
}

static void Print(JobResult result)
{
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Searched weights: {Format(result.Objectives, result.BestWeights)}, validation mean reward {result.BestScore:F3}"));
    for (int i = 0; i < result.Statements.Count; i++)
    {
        Console.WriteLine();
        Console.WriteLine($"Client: {result.Statements[i]}");
        foreach (var replies in result.Replies)
        {
            Console.WriteLine($"  {replies.Label,-20} {replies.Replies[i]}");
        }
    }
}

static string Format(System.Collections.Generic.IReadOnlyList<string> names, System.Collections.Generic.IReadOnlyList<double> weights) =>
    string.Join(", ", names.Zip(weights, (n, w) => string.Create(CultureInfo.InvariantCulture, $"{n} {w:0.###}")));
