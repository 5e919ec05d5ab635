using System;
using System.IO;

namespace Emorl.Tests.Data;

/// <summary>
/// Finds the third-party dataset files that some tests read. The files are not part of the
/// repository, so tests that need them print a message and return when they are absent.
/// </summary>
internal static class SharedData
{
    /// <summary>An environment variable naming the folder that contains pair/, epitome/ and annomi/.</summary>
    public const string EnvironmentVariable = "EMORL_DATA_DIR";

    /// <summary>
    /// Finds a file under the data folder: the folder in <see cref="EnvironmentVariable"/> when set,
    /// else the first <c>shared/data</c> folder found walking up from the test's base directory.
    /// </summary>
    /// <param name="relativePath">The path below the data folder, such as <c>pair/pair_data.csv</c>.</param>
    /// <returns>The full path, or <see langword="null"/> when the file is not found.</returns>
    public static string? FindFile(string relativePath)
    {
        string? folder = FindFolder();
        if (folder is null)
        {
            return null;
        }

        string path = Path.Combine(folder, relativePath);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }

    /// <summary>Builds the message a test prints when it returns early for lack of data.</summary>
    /// <param name="relativePath">The path below the data folder that was not found.</param>
    /// <returns>The message.</returns>
    public static string SkipMessage(string relativePath) =>
        $"Skipped: dataset file '{relativePath}' not found. Set {EnvironmentVariable} to the folder that contains "
        + "pair/, epitome/ and annomi/, or place it at shared/data above the repository.";

    private static string? FindFolder()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        }

        DirectoryInfo? directory = new(AppContext.BaseDirectory);
        while (directory is not null)
        {
            string candidate = Path.Combine(directory.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            directory = directory.Parent;
        }

        return null;
    }
}
