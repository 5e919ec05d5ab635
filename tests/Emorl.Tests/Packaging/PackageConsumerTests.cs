using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Emorl.Tests.Packaging;

/// <summary>
/// Packs the library, builds the getting-started app against the package in a fresh folder, and
/// runs it through one tiny train, search and generate cycle.
/// </summary>
/// <remarks>
/// The app restores into a private packages folder. It links every package of the machine's
/// packages folder except TorchSharp, which it copies and returns to its shipped state (the
/// GLIBCXX_3.4.32 need not weak), so the run proves that the package's buildTransitive step makes
/// TorchSharp load. The EMORL package gets a version of its own, so no cached copy is used.
/// </remarks>
[Collection("Torch")]
public sealed class PackageConsumerTests
{
    private const string GlibcxxVersion = "GLIBCXX_3.4.32";
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromMinutes(4);
    private readonly ITestOutputHelper _output;

    public PackageConsumerTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void PackedLibraryTrainsAndGeneratesInFreshApp()
    {
        if (!OperatingSystem.IsLinux())
        {
            _output.WriteLine("Skipped: the app references libtorch-cpu-linux-x64, which only runs on Linux x64.");
            return;
        }

        string root = MarkdownCodeBlocks.RepositoryRoot();
        string work = Path.Combine(Path.GetTempPath(), "emorl-consumer-" + Guid.NewGuid().ToString("N"));
        string version = "0.1.0-consumer.t" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            string feed = Path.Combine(work, "feed");
            string packages = Path.Combine(work, "packages");
            string app = Path.Combine(work, "app");
            Run(root, "pack", Path.Combine(root, "src", "Emorl", "Emorl.csproj"), "-c", "Release", "-o", feed, $"-p:PackageVersion={version}");
            Assert.True(File.Exists(Path.Combine(feed, $"EMORL.{version}.nupkg")), "dotnet pack wrote no package");

            string libTorchSharp = PreparePackagesFolder(packages);
            Assert.False(ElfVersionNeed.IsWeak(libTorchSharp, GlibcxxVersion), "the TorchSharp copy was not reset to its shipped state");
            WriteApp(app, feed, packages, version);

            Run(app, "build", "-c", "Release");
            string output = Run(app, "run", "--no-build", "-c", "Release");

            Assert.True(ElfVersionNeed.IsWeak(libTorchSharp, GlibcxxVersion), "the package's build step did not mark the version need weak");
            Assert.True(Directory.Exists(Path.Combine(packages, "emorl", version)), "the app did not restore the packed EMORL package");
            Assert.Matches(new Regex(@"^Best weights: .+ \(mean reward \d", RegexOptions.Multiline), output);
            Assert.Matches(new Regex("^Reply: ", RegexOptions.Multiline), output);
        }
        finally
        {
            DeleteWorkFolder(work);
        }
    }

    /// <summary>Links the machine's packages into a private folder, with a reset copy of TorchSharp.</summary>
    /// <returns>The path of the copied libLibTorchSharp.so.</returns>
    private static string PreparePackagesFolder(string packages)
    {
        string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        Directory.CreateDirectory(packages);
        foreach (string package in Directory.GetDirectories(machinePackages))
        {
            string name = Path.GetFileName(package);
            if (name is not ("torchsharp" or "emorl"))
            {
                Directory.CreateSymbolicLink(Path.Combine(packages, name), package);
            }
        }

        string torchSharp = Path.Combine("torchsharp", "0.107.0");
        CopyFolder(Path.Combine(machinePackages, torchSharp), Path.Combine(packages, torchSharp));
        string library = Path.Combine(packages, torchSharp, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        ElfVersionNeed.SetWeak(library, GlibcxxVersion, weak: false);
        return library;
    }

    private static void WriteApp(string app, string feed, string packages, string version)
    {
        Directory.CreateDirectory(app);
        string project = Regex.Replace(
            MarkdownCodeBlocks.Single("getting-started.md", "xml"), "Include=\"EMORL\" Version=\"[^\"]*\"", $"Include=\"EMORL\" Version=\"{version}\"");
        File.WriteAllText(Path.Combine(app, "GettingStarted.csproj"), project);
        File.WriteAllText(Path.Combine(app, "Program.cs"), MarkdownCodeBlocks.Single("getting-started.md", "csharp"));
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packages}" />
              </config>
              <packageSources>
                <add key="emorl-test-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
    }

    private string Run(string folder, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (arguments[0] is "pack" or "build")
        {
            // Leave no build server or MSBuild node running after the test.
            start.ArgumentList.Add("-nodeReuse:false");
            start.ArgumentList.Add("-p:UseSharedCompilation=false");
        }

        PrepareEnvironment(start, folder);
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        if (!process.WaitForExit(s_stepTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.WaitForExit();
        _output.WriteLine($"$ dotnet {string.Join(' ', arguments)}  ({clock.Elapsed.TotalSeconds:F1} s, exit {(process.HasExited ? process.ExitCode : -1)})");
        _output.WriteLine(output.ToString());
        Assert.True(process.ExitCode == 0, $"dotnet {arguments[0]} failed with exit code {process.ExitCode}:\n{output}");
        return output.ToString();
    }

    private static void PrepareEnvironment(ProcessStartInfo start, string folder)
    {
        // The test host runs under `dotnet test`, whose MSBuild variables would leak into the child builds.
        foreach (string key in start.Environment.Keys.ToArray())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        if (folder.Contains("emorl-consumer-", StringComparison.Ordinal))
        {
            start.Environment["NUGET_PACKAGES"] = Path.Combine(Path.GetDirectoryName(folder)!, "packages");
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (string folder in Directory.GetDirectories(source))
        {
            CopyFolder(folder, Path.Combine(destination, Path.GetFileName(folder)));
        }
    }

    /// <summary>Removes the links to the machine's packages first, so that deleting the folder never reaches them.</summary>
    private static void DeleteWorkFolder(string work)
    {
        string packages = Path.Combine(work, "packages");
        if (Directory.Exists(packages))
        {
            foreach (var entry in new DirectoryInfo(packages).EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null)
                {
                    File.Delete(entry.FullName);
                }
            }
        }

        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
