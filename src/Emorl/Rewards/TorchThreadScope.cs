using System;
using TorchSharp;

namespace Emorl.Rewards;

/// <summary>
/// Sets torch's process-wide intra-op thread count for a block of work and restores the previous
/// count on dispose.
/// </summary>
internal readonly struct TorchThreadScope : IDisposable
{
    private readonly int _previous;

    /// <summary>Sets the thread count, unless <paramref name="threadCount"/> is 0 or already current.</summary>
    public TorchThreadScope(int threadCount)
    {
        int current = torch.get_num_threads();
        _previous = threadCount > 0 && threadCount != current ? current : 0;
        if (_previous > 0)
        {
            torch.set_num_threads(threadCount);
        }
    }

    public void Dispose()
    {
        if (_previous > 0)
        {
            torch.set_num_threads(_previous);
        }
    }
}
