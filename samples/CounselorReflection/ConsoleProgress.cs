using System;
using System.Diagnostics;

namespace CounselorReflection;

/// <summary>Reports progress on the console synchronously, at most every half second, plus the final report.</summary>
internal sealed class ConsoleProgress<T> : IProgress<T>
{
    private readonly Func<T, string> _format;
    private readonly Func<T, bool> _isLast;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastPrinted = TimeSpan.FromSeconds(-1);

    public ConsoleProgress(Func<T, string> format, Func<T, bool> isLast)
    {
        _format = format;
        _isLast = isLast;
    }

    public void Report(T value)
    {
        bool last = _isLast(value);
        if (!last && _clock.Elapsed - _lastPrinted < TimeSpan.FromSeconds(0.5))
        {
            return;
        }

        _lastPrinted = _clock.Elapsed;
        Console.WriteLine($"  [{_clock.Elapsed.TotalSeconds,6:F1} s] {_format(value)}");
    }
}
