using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace CounselorReflection;

/// <summary>
/// The exceptions that bad input or files cause, which the commands report as one "Failed:" line
/// instead of a stack trace.
/// </summary>
internal static class ExpectedFailures
{
    /// <summary>Tells whether <paramref name="error"/> comes from input or files rather than from a bug.</summary>
    /// <remarks>
    /// NotSupportedException: a tokenizer file of a kind the library does not read, such as a BPE
    /// spiece.model. NotFiniteNumberException: weights whose weighted hidden state overflows float32.
    /// </remarks>
    public static bool Contains(Exception error) =>
        error is IOException or InvalidDataException or FormatException or InvalidOperationException or UnauthorizedAccessException
            or NotFiniteNumberException or NotSupportedException or JsonException or KeyNotFoundException;
}
