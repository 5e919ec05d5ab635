using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests;

/// <summary>One message written to a <see cref="LogCapture"/>.</summary>
/// <param name="Category">The logger's category, such as <c>Emorl.Search.HierarchicalGridSearch</c>.</param>
/// <param name="Level">The message's level.</param>
/// <param name="EventId">The message's event id and name.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Values">The structured values, placeholder name to value, as the logging call passed them.</param>
internal sealed record LogEntry(
    string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, object?>> Values)
{
    /// <summary>Checks whether the text occurs in the message or in any structured value.</summary>
    public bool Contains(string text) =>
        Message.Contains(text, StringComparison.Ordinal)
        || Values.Any(v => (Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "").Contains(text, StringComparison.Ordinal));
}

/// <summary>
/// A logger factory that keeps every message at every level in memory, so tests can check what
/// was logged and at which level.
/// </summary>
internal sealed class LogCapture : ILoggerFactory
{
    private readonly List<LogEntry> _entries = [];

    /// <summary>Gets a snapshot of the messages written so far, in order.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    /// <summary>Creates a typed logger whose category is <typeparamref name="T"/>'s full name.</summary>
    public ILogger<T> For<T>() => new Logger<T>(this);

    /// <summary>Finds the messages with an event name.</summary>
    public IReadOnlyList<LogEntry> WithEvent(string eventName) =>
        Entries.Where(e => e.EventId.Name == eventName).ToArray();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    private sealed class CapturingLogger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            owner.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), values.ToArray()));
        }
    }
}
