using System;

namespace Emorl.Tests;

/// <summary>Calls a handler on the reporting thread, unlike <see cref="Progress{T}"/>, which posts to the thread pool.</summary>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
