using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Emorl.Checkpoints;

/// <summary>
/// Verifies checkpoint files against the manifest that records each file's size and SHA-256 hash.
/// </summary>
/// <remarks>
/// A directory saved by <see cref="Gpt2Checkpoint"/> contains <see cref="DirectoryManifestFileName"/>,
/// written last. A single-file checkpoint (a trainer checkpoint, a pair scorer, a compact
/// vocabulary) has a sibling named after it with <see cref="FileManifestSuffix"/> appended. The
/// format is described in <c>docs/checkpoints.md</c>. A checkpoint without a manifest, such as a
/// model directory from the Hugging Face Hub, loads without the check. Verification reads every
/// listed file once, so it costs one pass over the checkpoint's bytes.
/// </remarks>
public static partial class CheckpointManifest
{
    /// <summary>The manifest file of a checkpoint directory.</summary>
    public const string DirectoryManifestFileName = "emorl-manifest.json";

    /// <summary>The suffix that names a single-file checkpoint's manifest: <c>FILE.emorl-manifest.json</c>.</summary>
    public const string FileManifestSuffix = ".emorl-manifest.json";

    /// <summary>The value of the manifest's <c>format</c> property.</summary>
    internal const string FormatName = "emorl-checkpoint-manifest";

    /// <summary>The only manifest format version this library writes and reads.</summary>
    internal const int FormatVersion = 1;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Checks every file that a directory's manifest lists.</summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="logger">Receives a Debug message when the directory has no manifest; null for none.</param>
    /// <returns>True when a manifest was found and every listed file matches; false when there is no manifest.</returns>
    /// <exception cref="InvalidDataException">
    /// A listed file is missing, or its size or hash differs (the message names the file, both sizes
    /// and both hashes), or the manifest itself is not valid.
    /// </exception>
    public static bool VerifyDirectory(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);

        string manifestPath = Path.Combine(directory, DirectoryManifestFileName);
        if (!File.Exists(manifestPath))
        {
            LogNoManifest(logger ?? NullLogger.Instance, directory);
            return false;
        }

        var manifest = Read(manifestPath);
        foreach (var entry in manifest.Files)
        {
            Check(Path.Combine(directory, entry.Name), manifestPath, [entry]);
        }

        LogVerified(logger ?? NullLogger.Instance, directory, manifest.Files.Count);
        return true;
    }

    /// <summary>Checks a single-file checkpoint against its <see cref="FileManifestSuffix"/> sibling.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="logger">Receives a Debug message when the file has no manifest; null for none.</param>
    /// <returns>True when a manifest was found and the file matches it; false when there is no manifest.</returns>
    /// <exception cref="InvalidDataException">
    /// The file is missing, or its size or hash differs (the message names the file, both sizes and
    /// both hashes), or the manifest is not valid or does not list the file.
    /// </exception>
    /// <remarks>
    /// While a save replaces the file, the manifest also lists the previous version under
    /// <c>previous</c>; a file matching either version passes, so a save killed between its two
    /// renames leaves a loadable checkpoint.
    /// </remarks>
    public static bool VerifyFile(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        string manifestPath = path + FileManifestSuffix;
        if (!File.Exists(manifestPath))
        {
            LogNoManifest(logger ?? NullLogger.Instance, path);
            return false;
        }

        var manifest = Read(manifestPath);
        string name = Path.GetFileName(path);
        var accepted = manifest.Files.Concat(manifest.Previous ?? [])
            .Where(e => string.Equals(e.Name, name, StringComparison.Ordinal))
            .ToArray();
        if (accepted.Length == 0)
        {
            throw new InvalidDataException(
                $"Checkpoint manifest '{manifestPath}' does not list '{name}'; it belongs to another file. " +
                "Delete the manifest to load the file unchecked, or save the checkpoint again.");
        }

        Check(path, manifestPath, accepted);
        LogVerified(logger ?? NullLogger.Instance, path, 1);
        return true;
    }

    /// <summary>Measures a file's size and SHA-256 hash.</summary>
    internal static ManifestEntry Measure(string path, string name)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        byte[] hash = SHA256.HashData(stream);
        return new ManifestEntry(name, stream.Length, Convert.ToHexStringLower(hash));
    }

    /// <summary>Writes a manifest atomically.</summary>
    internal static void Write(string manifestPath, IReadOnlyList<ManifestEntry> files, IReadOnlyList<ManifestEntry>? previous = null)
    {
        var document = new ManifestDocument(FormatName, FormatVersion, files, previous is { Count: > 0 } ? previous : null);
        AtomicFile.Write(manifestPath, stream => JsonSerializer.Serialize(stream, document, s_json));
    }

    /// <summary>Reads a manifest, or returns null when it is missing or unreadable.</summary>
    internal static ManifestDocument? TryRead(string manifestPath)
    {
        try
        {
            return File.Exists(manifestPath) ? Read(manifestPath) : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Reads and checks a manifest.</summary>
    internal static ManifestDocument Read(string manifestPath)
    {
        ManifestDocument? document;
        try
        {
            using var stream = File.OpenRead(manifestPath);
            document = JsonSerializer.Deserialize<ManifestDocument>(stream, s_json);
        }
        catch (JsonException error)
        {
            throw new InvalidDataException(
                $"Checkpoint manifest '{manifestPath}' is not valid JSON ({error.Message}). " +
                "Save the checkpoint again, or delete the manifest to load the files unchecked.",
                error);
        }

        string? problem = document is null ? "it is empty"
            : document.Format != FormatName ? $"its format is \"{document.Format}\", not \"{FormatName}\""
            : document.FormatVersion != FormatVersion ? $"its format version is {document.FormatVersion}; this library reads {FormatVersion}"
            : document.Files is null ? "it has no \"files\" list"
            : document.Files.Concat(document.Previous ?? []).Select(FindEntryProblem).FirstOrDefault(p => p is not null);
        if (problem is not null)
        {
            throw new InvalidDataException(
                $"Checkpoint manifest '{manifestPath}' is not valid: {problem}. " +
                "Save the checkpoint again, or delete the manifest to load the files unchecked.");
        }

        return document!;
    }

    private static string? FindEntryProblem(ManifestEntry entry)
    {
        if (entry is null || string.IsNullOrEmpty(entry.Name))
        {
            return "an entry has no name";
        }

        if (entry.Name != Path.GetFileName(entry.Name) || entry.Name is "." or "..")
        {
            return $"the entry name \"{entry.Name}\" is not a plain file name";
        }

        if (entry.Size < 0 || entry.Sha256 is not { Length: 64 } || !entry.Sha256.All(char.IsAsciiHexDigitLower))
        {
            return $"the entry \"{entry.Name}\" needs a size of at least 0 and a 64-digit lowercase hex sha256";
        }

        return null;
    }

    /// <summary>Throws unless the file matches one of the accepted entries.</summary>
    private static void Check(string path, string manifestPath, ManifestEntry[] accepted)
    {
        var expected = accepted[0];
        if (!File.Exists(path))
        {
            throw new InvalidDataException(string.Create(
                CultureInfo.InvariantCulture,
                $"Checkpoint file '{path}' is missing, but manifest '{manifestPath}' lists it with {expected.Size} bytes " +
                $"and SHA-256 {expected.Sha256}. Restore the file or save the checkpoint again."));
        }

        var actual = Measure(path, expected.Name);
        if (accepted.Any(e => e.Size == actual.Size && e.Sha256 == actual.Sha256))
        {
            return;
        }

        throw new InvalidDataException(string.Create(
            CultureInfo.InvariantCulture,
            $"Checkpoint file '{path}' does not match manifest '{manifestPath}': expected {expected.Size} bytes with " +
            $"SHA-256 {expected.Sha256}, found {actual.Size} bytes with SHA-256 {actual.Sha256}. The file was truncated, " +
            $"damaged or changed after it was saved; save the checkpoint again or restore it from a backup."));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "No checkpoint manifest for {Path}; the integrity check is skipped")]
    private static partial void LogNoManifest(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Verified {Count} files of {Path} against the checkpoint manifest")]
    private static partial void LogVerified(ILogger logger, string path, int count);
}

/// <summary>One file of a checkpoint manifest.</summary>
internal sealed record ManifestEntry(string Name, long Size, string Sha256);

/// <summary>The JSON document of a checkpoint manifest.</summary>
internal sealed record ManifestDocument(
    string Format, int FormatVersion, IReadOnlyList<ManifestEntry> Files, IReadOnlyList<ManifestEntry>? Previous);
