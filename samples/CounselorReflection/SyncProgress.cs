using System;

namespace CounselorReflection;

/// <summary>
/// Calls a handler on the reporting thread. <see cref="Progress{T}"/> would post to the thread
/// pool, so reports could arrive after their stage has finished.
/// </summary>
internal sealed class SyncProgress<T> : IProgress<T>
{
    private readonly Action<T> _handler;

    public SyncProgress(Action<T> handler)
    {
        _handler = handler;
    }

    public void Report(T value) => _handler(value);
}
