using System;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
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

// The host's console lifetime turns SIGINT and SIGTERM into a stop request and keeps the process
// alive. These registrations only record which signal arrived, to choose the exit code.
PosixSignal? stopSignal = null;
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => stopSignal ??= context.Signal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => stopSignal ??= context.Signal);

using (host)
{
    var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
    try
    {
        var result = host.Services.GetRequiredService<ReflectionJob>().Run(lifetime.ApplicationStopping);
        Print(result);
        return 0;
    }
    catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
    {
        // 128 + signal number, as shells report a process ended by that signal: 130 for SIGINT, 143 for SIGTERM.
        int exitCode = stopSignal == PosixSignal.SIGTERM ? 143 : 130;
        Console.Error.WriteLine($"Stopped by {stopSignal?.ToString() ?? "a stop request"}; exit code {exitCode}.");
        return exitCode;
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
