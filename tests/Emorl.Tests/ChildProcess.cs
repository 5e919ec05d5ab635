using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace Emorl.Tests;

/// <summary>
/// A .NET program from the test's output folder, run as a child process with one torch thread and
/// its output lines collected as they arrive.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Add(_lines, e.Data);
        _process.ErrorDataReceived += (_, e) => Add(_errors, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Gets the lines printed so far to standard output.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    /// <summary>Starts <paramref name="assemblyPath"/> with <c>dotnet exec</c>.</summary>
    public static ChildProcess Start(string assemblyPath, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assemblyPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"'{assemblyPath}' did not start."));
    }

    /// <summary>Waits until a printed line matches, and fails with the output when the process exits or times out first.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? s_defaultTimeout);
        while (DateTime.UtcNow < deadline)
        {
            string? line = Lines.FirstOrDefault(match);
            if (line is not null)
            {
                return line;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit();
                line = Lines.FirstOrDefault(match);
                return line ?? throw new InvalidOperationException($"The child process exited with code {_process.ExitCode} first. {Output()}");
            }

            Thread.Sleep(5);
        }

        throw new TimeoutException($"No expected line within the time limit. {Output()}");
    }

    /// <summary>Kills the process with SIGKILL and waits until it is gone and its output is read.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Waits for a normal exit and fails with the output on a non-zero exit code or a timeout.</summary>
    public void WaitForSuccess(TimeSpan? timeout = null)
    {
        if (!_process.WaitForExit(timeout ?? s_defaultTimeout))
        {
            _process.Kill();
            throw new TimeoutException($"The child process did not finish within the time limit. {Output()}");
        }

        _process.WaitForExit();
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The child process exited with code {_process.ExitCode}. {Output()}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static void Add(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    /// <summary>Finds the dotnet host that runs the tests, so the child uses the same runtime.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private string Output()
    {
        string[] errors;
        lock (_errors)
        {
            errors = _errors.ToArray();
        }

        return $"Output: [{string.Join(" | ", Lines.TakeLast(20))}]; errors: [{string.Join(" | ", errors.TakeLast(20))}]";
    }
}
