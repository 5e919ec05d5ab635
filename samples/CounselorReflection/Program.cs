using System;
using System.IO;
using System.Threading;
using CounselorReflection;

if (args.Length > 0 && args[0] == "generate")
{
    return GenerateCommand.RunCommandLine(args[1..], Console.In, Console.Out, Console.Error);
}

if (Array.Exists(args, a => a is "--help" or "-h"))
{
    Console.WriteLine(SampleOptions.Usage);
    return 0;
}

SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
    Console.Error.WriteLine("Cancelling after the current step...");
};

try
{
    var report = new CounselorRun(options, cancellation.Token).Run();
    ReportWriter.Write(report, options.OutputDirectory);
    Console.WriteLine($"Report: {Path.GetFullPath(Path.Combine(options.OutputDirectory, "report.md"))}");
    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Cancelled; no report was written.");
    return 130;
}
catch (Exception error) when (error is ArgumentException || ExpectedFailures.Contains(error))
{
    Console.Error.WriteLine($"Failed: {error.Message}");
    return 1;
}
