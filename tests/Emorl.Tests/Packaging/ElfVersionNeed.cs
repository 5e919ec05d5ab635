using System;
using System.IO;
using System.Text;

namespace Emorl.Tests.Packaging;

/// <summary>
/// Reads and sets the weak flag (VER_FLG_WEAK, 0x2) of one version need in a 64-bit little-endian
/// ELF file: the flag that the package's build step sets on libLibTorchSharp.so.
/// </summary>
internal static class ElfVersionNeed
{
    private const uint SectionTypeVersionNeed = 0x6ffffffe;
    private const ushort WeakFlag = 0x2;

    public static bool IsWeak(string path, string versionName)
    {
        byte[] elf = File.ReadAllBytes(path);
        int offset = FindFlagsOffset(elf, versionName);
        return (BitConverter.ToUInt16(elf, offset) & WeakFlag) != 0;
    }

    public static void SetWeak(string path, string versionName, bool weak)
    {
        byte[] elf = File.ReadAllBytes(path);
        int offset = FindFlagsOffset(elf, versionName);
        ushort flags = BitConverter.ToUInt16(elf, offset);
        flags = weak ? (ushort)(flags | WeakFlag) : (ushort)(flags & ~WeakFlag);
        BitConverter.GetBytes(flags).CopyTo(elf, offset);
        File.WriteAllBytes(path, elf);
    }

    /// <summary>Walks the section headers to the version-need section and returns the flags offset of one entry.</summary>
    private static int FindFlagsOffset(byte[] elf, string versionName)
    {
        long sectionTable = BitConverter.ToInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < sectionCount; s++)
        {
            int header = (int)(sectionTable + ((long)s * sectionSize));
            if (BitConverter.ToUInt32(elf, header + 4) != SectionTypeVersionNeed)
            {
                continue;
            }

            int need = (int)BitConverter.ToInt64(elf, header + 0x18);
            int needCount = (int)BitConverter.ToUInt32(elf, header + 0x2C);
            int stringsHeader = (int)(sectionTable + ((long)BitConverter.ToUInt32(elf, header + 0x28) * sectionSize));
            int strings = (int)BitConverter.ToInt64(elf, stringsHeader + 0x18);
            for (int n = 0; n < needCount; n++)
            {
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < BitConverter.ToUInt16(elf, need + 2); a++)
                {
                    int nameStart = strings + (int)BitConverter.ToUInt32(elf, aux + 8);
                    int nameEnd = Array.IndexOf(elf, (byte)0, nameStart);
                    if (Encoding.ASCII.GetString(elf, nameStart, nameEnd - nameStart) == versionName)
                    {
                        return aux + 4;
                    }

                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }

                need += (int)BitConverter.ToUInt32(elf, need + 12);
            }
        }

        throw new InvalidDataException($"'{versionName}' is not among the version needs of the ELF file.");
    }
}
