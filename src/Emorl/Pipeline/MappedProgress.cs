using System;

namespace Emorl.Pipeline;

/// <summary>
/// Forwards progress synchronously on the reporting thread. <see cref="Progress{T}"/> would post to
/// the thread pool, so reports could arrive after the stage has returned.
/// </summary>
internal sealed class MappedProgress<T> : IProgress<T>
{
    private readonly Action<T> _report;

    public MappedProgress(Action<T> report)
    {
        _report = report;
    }

    public void Report(T value) => _report(value);
}
