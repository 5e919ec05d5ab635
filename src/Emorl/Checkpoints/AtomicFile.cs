using System;
using System.IO;

namespace Emorl.Checkpoints;

/// <summary>Writes a file through a temporary sibling and a rename, so readers never see a partial file.</summary>
/// <remarks>
/// The temporary file is flushed to disk before the rename and the directory after it, so a process
/// killed at any point leaves either the old file or the new one under the final name. A killed
/// write can leave a hidden <c>.NAME.GUID.tmp</c> sibling behind, which the next write of the same
/// file removes.
/// </remarks>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temporary = WriteTemporary(full, write);
        try
        {
            Commit(temporary, full);
        }
        finally
        {
            DeleteIfExists(temporary);
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>Writes the content to a flushed temporary sibling of <paramref name="fullPath"/> and returns its path.</summary>
    public static string WriteTemporary(string fullPath, Action<Stream> write)
    {
        string directory = Path.GetDirectoryName(fullPath) ?? ".";
        Directory.CreateDirectory(directory);
        RemoveLeftovers(directory, Path.GetFileName(fullPath));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write);
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            DeleteIfExists(temporary);
            throw;
        }

        return temporary;
    }

    /// <summary>Renames a temporary file over the target and flushes the directory entry.</summary>
    public static void Commit(string temporary, string fullPath)
    {
        File.Move(temporary, fullPath, overwrite: true);
        NativeFileSystem.FlushDirectory(Path.GetDirectoryName(fullPath) ?? ".");
    }

    public static void DeleteIfExists(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Deletes temporary files that a killed write of the same file left behind.</summary>
    private static void RemoveLeftovers(string directory, string name)
    {
        foreach (string leftover in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
        {
            string middle = Path.GetFileName(leftover)[(name.Length + 2)..^4];
            if (middle.Length == 32 && Guid.TryParseExact(middle, "N", out _))
            {
                TryDelete(leftover);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Another writer in this process may be using it; it is removed on a later write.
        }
    }
}
