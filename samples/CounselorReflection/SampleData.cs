using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Emorl.Data;

namespace CounselorReflection;

/// <summary>Finds and loads the run's datasets: the given files, or the data embedded in the sample.</summary>
internal static class SampleData
{
    public const string EmbeddedName = "embedded sample data (160 statements)";

    public static (PairDataset Dataset, string Name) LoadReflections(SampleOptions options)
    {
        if (options.DataPath is null)
        {
            using var stream = OpenEmbedded("reflections.csv");
            return (PairDatasetLoader.Load(stream, "embedded reflections.csv"), EmbeddedName);
        }

        if (!File.Exists(options.DataPath))
        {
            throw new FileNotFoundException(
                $"--data '{options.DataPath}' was not found; pass the path of a PAIR CSV such as ../shared/data/pair/pair_data.csv.",
                options.DataPath);
        }

        return (PairDatasetLoader.Load(options.DataPath), Path.GetFileName(options.DataPath));
    }

    public static (IReadOnlyList<EmpathyRecord> Records, string Source) LoadEmpathy(SampleOptions options)
    {
        string? folder = options.EpitomeFolder ?? Sibling(options.DataPath, "epitome");
        if (folder is not null && File.Exists(Path.Combine(folder, EpitomeLoader.EmotionalReactionsFileName)))
        {
            return (EpitomeLoader.LoadFolder(folder).Records, "EPITOME");
        }

        if (options.EpitomeFolder is not null)
        {
            throw new DirectoryNotFoundException(
                $"--epitome '{options.EpitomeFolder}' holds no {EpitomeLoader.EmotionalReactionsFileName}; pass the EPITOME folder.");
        }

        using var stream = OpenEmbedded("empathy.csv");
        return (EpitomeLoader.LoadCombined(stream, "embedded empathy.csv").Records, "embedded empathy data");
    }

    public static IReadOnlyList<ClientReflectionPair> LoadAnnoMi(SampleOptions options)
    {
        if (!options.UseAnnoMi)
        {
            return [];
        }

        string? path = options.AnnoMiPath;
        if (path is null)
        {
            string? folder = Sibling(options.DataPath, "annomi");
            path = folder is null ? null : Path.Combine(folder, "AnnoMI-simple.csv");
        }

        if (path is null || !File.Exists(path))
        {
            if (options.AnnoMiPath is not null)
            {
                throw new FileNotFoundException($"--annomi '{options.AnnoMiPath}' was not found; pass AnnoMI-simple.csv or --no-annomi.");
            }

            return [];
        }

        return AnnoMiLoader.Load(path);
    }

    /// <summary>Returns DIR/../NAME for a data file in DIR, when that folder exists.</summary>
    private static string? Sibling(string? dataPath, string name)
    {
        if (dataPath is null)
        {
            return null;
        }

        string? parent = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(dataPath)));
        string? candidate = parent is null ? null : Path.Combine(parent, name);
        return candidate is not null && Directory.Exists(candidate) ? candidate : null;
    }

    private static Stream OpenEmbedded(string fileName)
    {
        var assembly = typeof(SampleData).Assembly;
        string? resource = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(fileName, StringComparison.Ordinal));
        return resource is null
            ? throw new InvalidOperationException($"The sample was built without its embedded {fileName}; rebuild it.")
            : assembly.GetManifestResourceStream(resource)!;
    }
}
