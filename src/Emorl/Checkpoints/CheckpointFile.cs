using System;
using System.IO;

namespace Emorl.Checkpoints;

/// <summary>
/// Writes a single-file checkpoint together with its manifest so that a process killed at any
/// point leaves a file that loads and passes <see cref="CheckpointManifest.VerifyFile"/>.
/// </summary>
/// <remarks>
/// Order: (1) the new content goes to a flushed temporary file; (2) the manifest is replaced by one
/// that lists the new version and, under <c>previous</c>, the version on disk; (3) the temporary
/// file is renamed over the checkpoint; (4) the manifest is replaced by one listing only the new
/// version. Between any two steps the file on disk matches an entry of the manifest on disk. One
/// writer per file at a time.
/// </remarks>
internal static class CheckpointFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string manifestPath = full + CheckpointManifest.FileManifestSuffix;
        string name = Path.GetFileName(full);
        string temporary = AtomicFile.WriteTemporary(full, write);
        try
        {
            var entry = CheckpointManifest.Measure(temporary, name);
            var previous = CheckpointManifest.TryRead(manifestPath)?.Files;
            CheckpointManifest.Write(manifestPath, [entry], previous);
            AtomicFile.Commit(temporary, full);
            CheckpointManifest.Write(manifestPath, [entry]);
        }
        finally
        {
            AtomicFile.DeleteIfExists(temporary);
        }
    }
}
