using System;
using System.Collections.Generic;

namespace Emorl.Training;

/// <summary>
/// A SplitMix64 generator whose whole state is one 64-bit number, so a checkpoint can save and
/// restore it exactly (System.Random's seeded state is not accessible).
/// </summary>
/// <remarks>Steele, Lea and Flood 2014, "Fast Splittable Pseudorandom Number Generators". Not thread-safe.</remarks>
internal sealed class TrainingRandom
{
    public TrainingRandom(ulong state)
    {
        State = state;
    }

    /// <summary>Gets or sets the generator's state.</summary>
    public ulong State { get; set; }

    public ulong NextUInt64()
    {
        unchecked
        {
            State += 0x9E3779B97F4A7C15UL;
            ulong z = State;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Returns a uniform number in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns a non-negative seed for a torch generator.</summary>
    public long NextSeed() => (long)(NextUInt64() >> 1);

    /// <summary>Returns a uniform integer in [0, <paramref name="count"/>), with Lemire's multiply-and-shift.</summary>
    public int NextInt(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return (int)((NextUInt64() >> 32) * (ulong)count >> 32);
    }

    /// <summary>Shuffles a list in place with Fisher–Yates.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
