using System;

namespace Emorl.Data;

/// <summary>
/// The exception thrown when a dataset file is not valid CSV or lacks a column, cell or value
/// that its loader needs.
/// </summary>
/// <remarks>
/// The message names the source (a file path or the name the caller gave a stream), the 1-based
/// line and column where the problem starts, and how to fix it. Derives from
/// <see cref="FormatException"/> because <see cref="System.IO.InvalidDataException"/> is sealed.
/// </remarks>
public sealed class DatasetFormatException : FormatException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public DatasetFormatException()
        : base("The dataset is not in the expected format.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message, which should name the source, line and column.</param>
    public DatasetFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">The message, which should name the source, line and column.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public DatasetFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance that records where in which source the problem is.</summary>
    /// <param name="sourceName">The file path, or the name given to a stream or text reader.</param>
    /// <param name="lineNumber">The 1-based line where the problem starts.</param>
    /// <param name="columnNumber">The 1-based character column where the problem starts.</param>
    /// <param name="problem">What is wrong and how to fix it, as one or more sentences.</param>
    public DatasetFormatException(string sourceName, int lineNumber, int columnNumber, string problem)
        : base($"{sourceName}, line {lineNumber}, column {columnNumber}: {problem}")
    {
        SourceName = sourceName;
        LineNumber = lineNumber;
        ColumnNumber = columnNumber;
    }

    /// <summary>Initializes a new instance that records where the problem is and the exception that caused it.</summary>
    /// <param name="sourceName">The file path, or the name given to a stream or text reader.</param>
    /// <param name="lineNumber">The 1-based line where the problem starts.</param>
    /// <param name="columnNumber">The 1-based character column where the problem starts.</param>
    /// <param name="problem">What is wrong and how to fix it, as one or more sentences.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public DatasetFormatException(string sourceName, int lineNumber, int columnNumber, string problem, Exception innerException)
        : base($"{sourceName}, line {lineNumber}, column {columnNumber}: {problem}", innerException)
    {
        SourceName = sourceName;
        LineNumber = lineNumber;
        ColumnNumber = columnNumber;
    }

    /// <summary>Gets the file path or stream name, or <see langword="null"/> when not recorded.</summary>
    public string? SourceName { get; }

    /// <summary>Gets the 1-based line where the problem starts, or 0 when not recorded.</summary>
    public int LineNumber { get; }

    /// <summary>Gets the 1-based character column where the problem starts, or 0 when not recorded.</summary>
    public int ColumnNumber { get; }
}
