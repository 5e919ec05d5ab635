using System;
using System.IO;

namespace Emorl.Data;

/// <summary>
/// Thrown by <see cref="StrictUtf8Reader"/> at the first byte that is not valid UTF-8;
/// <see cref="CsvReader"/> turns it into a <see cref="DatasetFormatException"/> with the line and column.
/// </summary>
internal sealed class InvalidUtf8Exception : IOException
{
    public InvalidUtf8Exception(long byteOffset, byte[] bytes)
        : base("The input is not valid UTF-8.")
    {
        ByteOffset = byteOffset;
        Bytes = bytes;
    }

    /// <summary>Gets the 0-based offset of the first invalid byte from the start of the stream.</summary>
    public long ByteOffset { get; }

    /// <summary>Gets up to four bytes starting at the invalid one.</summary>
    public byte[] Bytes { get; }
}
