using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests;

/// <summary>Keeps every log entry at or above a level, for tests that check what was logged.</summary>
internal sealed class RecordingLogger<T>(LogLevel minimumLevel = LogLevel.Information) : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
