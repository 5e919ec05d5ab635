using System.Collections.Generic;
using System.Globalization;

namespace Emorl.Search;

/// <summary>
/// Options for <see cref="HierarchicalGridSearch"/>: the number of refinement levels and the
/// range searched on every axis.
/// </summary>
public sealed class HierarchicalGridSearchOptions
{
    /// <summary>The smallest allowed <see cref="Levels"/>.</summary>
    public const int MinLevels = 1;

    /// <summary>
    /// The largest allowed <see cref="Levels"/>. Grid numerators on a 2^20 grid stay well inside
    /// <see cref="int"/>, and a step of 2^-20 of the range is far below any useful weight resolution.
    /// </summary>
    public const int MaxLevels = 20;

    /// <summary>
    /// Gets or sets the number of levels: in [1, 20], default 5 (the EMORL paper's search, whose
    /// finest grid step is 1/32 of the range).
    /// </summary>
    public int Levels { get; set; } = 5;

    /// <summary>Gets or sets the lowest value searched on every axis: finite, default 0.</summary>
    public double LowerBound { get; set; }

    /// <summary>
    /// Gets or sets the highest value searched on every axis: finite and above
    /// <see cref="LowerBound"/>, default 1.
    /// </summary>
    public double UpperBound { get; set; } = 1.0;

    /// <summary>Checks every option and lists every failure.</summary>
    /// <returns>
    /// One message per invalid value, each saying how to fix it, or an empty list when all are valid.
    /// </returns>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (Levels is < MinLevels or > MaxLevels)
        {
            failures.Add(string.Format(
                CultureInfo.InvariantCulture,
                "Levels is {0} but must be in [{1}, {2}]; 5 reproduces the EMORL search.",
                Levels,
                MinLevels,
                MaxLevels));
        }

        if (!double.IsFinite(LowerBound))
        {
            failures.Add(string.Format(
                CultureInfo.InvariantCulture, "LowerBound is {0} but must be finite.", LowerBound));
        }

        if (!double.IsFinite(UpperBound))
        {
            failures.Add(string.Format(
                CultureInfo.InvariantCulture, "UpperBound is {0} but must be finite.", UpperBound));
        }

        if (double.IsFinite(LowerBound) && double.IsFinite(UpperBound) && LowerBound >= UpperBound)
        {
            failures.Add(string.Format(
                CultureInfo.InvariantCulture,
                "LowerBound ({0}) must be below UpperBound ({1}). Swap them or widen the range.",
                LowerBound,
                UpperBound));
        }

        return failures;
    }
}
