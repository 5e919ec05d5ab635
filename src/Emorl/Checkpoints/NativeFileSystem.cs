using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Emorl.Checkpoints;

/// <summary>
/// The few POSIX calls that .NET does not expose: flushing a directory entry to disk, hard links,
/// and swapping two directories in one step.
/// </summary>
internal static class NativeFileSystem
{
    private const int ReadOnlyDirectoryFlags = 0x10000; // O_RDONLY | O_DIRECTORY on Linux
    private const int AtCurrentDirectory = -100; // AT_FDCWD
    private const uint RenameExchange = 2; // RENAME_EXCHANGE

    /// <summary>Flushes a directory's entries (renames, new files) to disk; does nothing off Linux.</summary>
    public static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int descriptor = Open(Encode(directory), ReadOnlyDirectoryFlags);
        if (descriptor < 0)
        {
            return;
        }

        // A failed fsync of a directory leaves the data written; only its durability across a power
        // loss is weaker, so the result is ignored.
        _ = Fsync(descriptor);
        _ = Close(descriptor);
    }

    /// <summary>Creates a hard link, or copies the file where links are not possible.</summary>
    public static void LinkOrCopy(string source, string destination)
    {
        if (OperatingSystem.IsLinux() && Link(Encode(source), Encode(destination)) == 0)
        {
            return;
        }

        File.Copy(source, destination, overwrite: false);
    }

    /// <summary>
    /// Swaps two existing directories in one atomic step with Linux's <c>renameat2</c>.
    /// </summary>
    /// <returns>False when the system or the file system offers no atomic swap.</returns>
    /// <exception cref="IOException">The swap failed for another reason.</exception>
    public static bool TryExchange(string first, string second)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            if (RenameAt2(AtCurrentDirectory, Encode(first), AtCurrentDirectory, Encode(second), RenameExchange) == 0)
            {
                return true;
            }
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.28 has no renameat2 wrapper.
            return false;
        }

        int error = Marshal.GetLastPInvokeError();
        const int NotImplemented = 38; // ENOSYS
        const int InvalidArgument = 22; // EINVAL: the file system does not support RENAME_EXCHANGE
        if (error is NotImplemented or InvalidArgument)
        {
            return false;
        }

        throw new IOException($"Swapping '{first}' and '{second}' failed with errno {error} ({Marshal.GetPInvokeErrorMessage(error)}).");
    }

    private static byte[] Encode(string path)
    {
        int length = Encoding.UTF8.GetByteCount(path);
        var bytes = new byte[length + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(byte[] source, byte[] destination);

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int sourceDirectory, byte[] source, int destinationDirectory, byte[] destination, uint flags);
}
