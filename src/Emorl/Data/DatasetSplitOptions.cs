using System;
using System.Collections.Generic;
using System.Globalization;

namespace Emorl.Data;

/// <summary>
/// Options for <see cref="DatasetSplitter"/>: the share of records in each part and whether to
/// shuffle first.
/// </summary>
public sealed class DatasetSplitOptions
{
    /// <summary>The largest amount by which the three fractions may miss a sum of 1.</summary>
    public const double FractionSumTolerance = 1e-9;

    /// <summary>
    /// Gets or sets the share of records (or groups) in the training part: in (0, 1], default 0.8,
    /// the 80/10/10 split of the EMORL reference code.
    /// </summary>
    public double TrainFraction { get; set; } = 0.8;

    /// <summary>Gets or sets the share in the validation part: in [0, 1), default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Gets or sets the share in the test part: in [0, 1), default 0.1.</summary>
    public double TestFraction { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets a value indicating whether records are shuffled before splitting. Default
    /// <see langword="true"/>; <see langword="false"/> splits in input order, as the EMORL reference
    /// code does.
    /// </summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Checks every option and lists every failure.</summary>
    /// <returns>
    /// One message per invalid value, each saying how to fix it, or an empty list when all are valid.
    /// </returns>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        CheckFraction(failures, nameof(TrainFraction), TrainFraction, allowZero: false);
        CheckFraction(failures, nameof(ValidationFraction), ValidationFraction, allowZero: true);
        CheckFraction(failures, nameof(TestFraction), TestFraction, allowZero: true);

        double sum = TrainFraction + ValidationFraction + TestFraction;
        if (double.IsFinite(sum) && Math.Abs(sum - 1.0) > FractionSumTolerance)
        {
            failures.Add(string.Format(
                CultureInfo.InvariantCulture,
                "TrainFraction + ValidationFraction + TestFraction is {0:G10} but must be 1. "
                + "Scale the three fractions to sum to 1.",
                sum));
        }

        return failures;
    }

    private static void CheckFraction(List<string> failures, string name, double value, bool allowZero)
    {
        bool valid = allowZero ? value >= 0.0 && value < 1.0 : value > 0.0 && value <= 1.0;
        if (!valid)
        {
            string range = allowZero ? "[0, 1)" : "(0, 1]";
            failures.Add(string.Format(
                CultureInfo.InvariantCulture,
                "{0} is {1} but must be a number in {2}. Set it to the share of records that part should receive.",
                name,
                value,
                range));
        }
    }
}
