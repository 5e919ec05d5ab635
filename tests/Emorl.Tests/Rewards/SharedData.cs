using System;
using System.IO;

namespace Emorl.Tests.Rewards;

/// <summary>Finds the optional folder of real research data that lives beside the repository.</summary>
internal static class SharedData
{
    /// <summary>
    /// Returns the data folder named by EMORL_DATA_DIR, or the first <c>shared/data</c> folder
    /// found walking up from the test binaries; null when neither exists.
    /// </summary>
    public static string? FindFolder()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("EMORL_DATA_DIR");
        if (!string.IsNullOrEmpty(fromEnvironment) && Directory.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
