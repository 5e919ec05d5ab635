using System;
using System.Collections.Generic;
using System.Linq;

namespace Emorl.Data;

/// <summary>
/// Divides records into training, validation and test parts after a seeded shuffle.
/// </summary>
/// <remarks>
/// <para>
/// The shuffle is a Fisher–Yates shuffle driven by <c>new System.Random(seed)</c>: for i from n−1
/// down to 1 it swaps position i with position <c>Next(i + 1)</c>. A seeded <see cref="Random"/>
/// uses the same algorithm on every operating system and processor, so a seed gives the same split
/// everywhere. NOTE: .NET documents that the seeded algorithm may change between major .NET
/// versions. A test pins one permutation, so such a change shows up as a failing test.
/// </para>
/// <para>
/// Part sizes come from the largest-remainder rule: each part first gets the floor of
/// count × fraction, then the records left over go one each to the parts with the largest
/// fractional remainders (train, then validation, then test on ties). When every fraction is
/// positive and there are at least 3 records, a part that would be empty takes one record from the
/// largest part. With the default 80/10/10 and 318 PAIR prompts the sizes are 254/32/32. The split
/// takes O(n) time and leaves the input unchanged.
/// </para>
/// </remarks>
public static class DatasetSplitter
{
    /// <summary>Shuffles records with a seed and divides them into three disjoint parts.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="items">
    /// The records, each of which lands in exactly one part. For PAIR, one <see cref="PairRecord"/> contains all
    /// responses to one prompt, so no prompt appears in two parts.
    /// </param>
    /// <param name="seed">The shuffle seed: any value, including negative ones.</param>
    /// <param name="options">The fractions and shuffle switch; <see langword="null"/> means 80/10/10, shuffled.</param>
    /// <returns>The three parts, each in shuffled order (input order when shuffling is off).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> has an invalid value.</exception>
    public static DatasetSplit<T> Split<T>(IReadOnlyList<T> items, int seed, DatasetSplitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(items);

        DatasetSplitOptions checkedOptions = CheckOptions(options);

        T[] order = items.ToArray();
        if (checkedOptions.Shuffle)
        {
            ShuffleInPlace(order, seed);
        }

        (int train, int validation, _) = ComputePartSizes(order.Length, checkedOptions);
        return new DatasetSplit<T>(
            order[..train],
            order[train..(train + validation)],
            order[(train + validation)..]);
    }

    /// <summary>
    /// Shuffles groups of records that share a key, and divides the groups into three disjoint
    /// parts, so that records with one key never land in two parts.
    /// </summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <typeparam name="TKey">The group key type, such as a prompt or a seeker post.</typeparam>
    /// <param name="items">The records, each of which lands in exactly one part.</param>
    /// <param name="groupKey">Returns a record's group key. Keys are compared with the default equality.</param>
    /// <param name="seed">The shuffle seed: any value, including negative ones.</param>
    /// <param name="options">
    /// The fractions, applied to the number of groups rather than records, and the shuffle switch;
    /// <see langword="null"/> means 80/10/10, shuffled.
    /// </param>
    /// <returns>
    /// The three parts. Groups appear in shuffled order and records inside a group in input order.
    /// </returns>
    /// <exception cref="ArgumentNullException">
    /// <paramref name="items"/> or <paramref name="groupKey"/> is <see langword="null"/>.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> has an invalid value.</exception>
    public static DatasetSplit<T> Split<T, TKey>(
        IReadOnlyList<T> items,
        Func<T, TKey> groupKey,
        int seed,
        DatasetSplitOptions? options = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(groupKey);

        DatasetSplitOptions checkedOptions = CheckOptions(options);

        // Groups are numbered by first appearance, so the order never depends on hash codes.
        var groupIndexByKey = new Dictionary<TKey, int>();
        var groups = new List<List<T>>();
        foreach (T item in items)
        {
            TKey key = groupKey(item);
            if (!groupIndexByKey.TryGetValue(key, out int index))
            {
                index = groups.Count;
                groupIndexByKey.Add(key, index);
                groups.Add([]);
            }

            groups[index].Add(item);
        }

        List<T>[] order = groups.ToArray();
        if (checkedOptions.Shuffle)
        {
            ShuffleInPlace(order, seed);
        }

        (int train, int validation, _) = ComputePartSizes(order.Length, checkedOptions);
        return new DatasetSplit<T>(
            order[..train].SelectMany(group => group).ToArray(),
            order[train..(train + validation)].SelectMany(group => group).ToArray(),
            order[(train + validation)..].SelectMany(group => group).ToArray());
    }

    private static DatasetSplitOptions CheckOptions(DatasetSplitOptions? options)
    {
        DatasetSplitOptions checkedOptions = options ?? new DatasetSplitOptions();
        IReadOnlyList<string> failures = checkedOptions.Validate();
        if (failures.Count > 0)
        {
            throw new ArgumentException(
                "Invalid dataset split options: " + string.Join(" ", failures),
                nameof(options));
        }

        return checkedOptions;
    }

    private static void ShuffleInPlace<TElement>(TElement[] items, int seed)
    {
        var random = new Random(seed);
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static (int Train, int Validation, int Test) ComputePartSizes(int count, DatasetSplitOptions options)
    {
        double[] fractions = [options.TrainFraction, options.ValidationFraction, options.TestFraction];
        int[] sizes = new int[3];
        double[] remainders = new double[3];
        for (int part = 0; part < 3; part++)
        {
            double exact = count * fractions[part];
            sizes[part] = (int)Math.Floor(exact);
            remainders[part] = exact - sizes[part];
        }

        // The floors may sum to more than count when the fractions overshoot 1 within the
        // tolerance, so the largest part gives the surplus back.
        int leftover = count - sizes.Sum();
        while (leftover < 0)
        {
            sizes[IndexOfMax(sizes)]--;
            leftover++;
        }

        // Stable ordering keeps train before validation before test on equal remainders.
        int[] byRemainder = Enumerable.Range(0, 3).OrderByDescending(part => remainders[part]).ToArray();
        for (int k = 0; k < leftover; k++)
        {
            sizes[byRemainder[k % 3]]++;
        }

        if (count >= 3 && fractions.All(fraction => fraction > 0))
        {
            for (int part = 0; part < 3; part++)
            {
                if (sizes[part] == 0)
                {
                    sizes[IndexOfMax(sizes)]--;
                    sizes[part]++;
                }
            }
        }

        return (sizes[0], sizes[1], sizes[2]);
    }

    private static int IndexOfMax(int[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
