using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Emorl.Checkpoints;

/// <summary>
/// Replaces a checkpoint directory as a whole, so that a process killed at any point leaves either
/// the previous directory or the new one, each with a manifest that matches its files.
/// </summary>
/// <remarks>
/// The new files are written into a hidden staging sibling (<c>.NAME.GUID.staging</c>), each
/// flushed to disk, then the manifest is written last. Files and folders of the old directory that
/// the save does not write (a vocabulary file saved beside a model, for example) are hard-linked
/// into the staging directory, so they survive. On Linux the staging and target directories are
/// then swapped with one <c>renameat2(RENAME_EXCHANGE)</c> call and the old copy is deleted.
/// Elsewhere the old directory is renamed to <c>.NAME.GUID.previous</c> before the staging
/// directory takes its name, so a kill between those two renames leaves the previous checkpoint
/// under the hidden name. One writer per directory at a time.
/// </remarks>
internal static class CheckpointDirectory
{
    private const string StagingSuffix = ".staging";
    private const string PreviousSuffix = ".previous";

    /// <summary>Saves a checkpoint directory.</summary>
    /// <param name="directory">The target directory; created when missing.</param>
    /// <param name="write">Writes the checkpoint's files into the staging directory it receives.</param>
    public static void Save(string directory, Action<string> write)
    {
        string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(target) ?? ".";
        string name = Path.GetFileName(target);
        ThrowIfFileInPath(target);
        Directory.CreateDirectory(parent);
        RemoveLeftovers(parent, name);
        string staging = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}{StagingSuffix}");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            var entries = Directory.EnumerateFiles(staging)
                .Select(f => CheckpointManifest.Measure(f, Path.GetFileName(f)))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ToList();
            entries.AddRange(CarryOver(target, staging, entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal)));
            CheckpointManifest.Write(Path.Combine(staging, CheckpointManifest.DirectoryManifestFileName), entries);
            NativeFileSystem.FlushDirectory(staging);
            Replace(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>
    /// Links the old directory's other files and folders into the staging directory and returns
    /// the old manifest's entries for the files that came along.
    /// </summary>
    private static List<ManifestEntry> CarryOver(string target, string staging, HashSet<string> written)
    {
        var carried = new List<ManifestEntry>();
        if (!Directory.Exists(target))
        {
            return carried;
        }

        var oldEntries = CheckpointManifest.TryRead(Path.Combine(target, CheckpointManifest.DirectoryManifestFileName))?.Files ?? [];
        foreach (string file in Directory.EnumerateFiles(target))
        {
            string fileName = Path.GetFileName(file);
            if (written.Contains(fileName) || fileName == CheckpointManifest.DirectoryManifestFileName)
            {
                continue;
            }

            NativeFileSystem.LinkOrCopy(file, Path.Combine(staging, fileName));
            carried.AddRange(oldEntries.Where(e => e.Name == fileName));
        }

        foreach (string folder in Directory.EnumerateDirectories(target))
        {
            LinkTree(folder, Path.Combine(staging, Path.GetFileName(folder)));
        }

        return carried;
    }

    private static void LinkTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(source))
        {
            NativeFileSystem.LinkOrCopy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (string folder in Directory.EnumerateDirectories(source))
        {
            LinkTree(folder, Path.Combine(destination, Path.GetFileName(folder)));
        }
    }

    /// <summary>Puts the staging directory in the target's place; the old content ends up at the staging path.</summary>
    private static void Replace(string staging, string target)
    {
        string parent = Path.GetDirectoryName(target) ?? ".";
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
        }
        else if (!NativeFileSystem.TryExchange(staging, target))
        {
            string previous = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}{PreviousSuffix}");
            Directory.Move(target, previous);
            Directory.Move(staging, target);
            NativeFileSystem.FlushDirectory(parent);
            Directory.Delete(previous, recursive: true);
        }

        NativeFileSystem.FlushDirectory(parent);
    }

    /// <summary>
    /// Rejects a target that is a file, or that lies under one, before anything is written, because
    /// the file system's own error names only the file, not the checkpoint being saved.
    /// </summary>
    private static void ThrowIfFileInPath(string target)
    {
        for (string? path = target; !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path))
            {
                string where = path == target ? "is a file" : $"lies under '{path}', which is a file";
                throw new IOException(
                    $"The checkpoint directory '{target}' {where}; a checkpoint needs a folder. Pass another path, or move the file away.");
            }
        }
    }

    /// <summary>Deletes staging directories that a killed save of the same target left behind.</summary>
    private static void RemoveLeftovers(string parent, string name)
    {
        foreach (string leftover in Directory.EnumerateDirectories(parent, $".{name}.*{StagingSuffix}"))
        {
            string middle = Path.GetFileName(leftover)[(name.Length + 2)..^StagingSuffix.Length];
            if (Guid.TryParseExact(middle, "N", out _))
            {
                Directory.Delete(leftover, recursive: true);
            }
        }
    }
}
