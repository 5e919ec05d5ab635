using System;
using System.Collections.Generic;

namespace Emorl;

/// <summary>Raises one exception that lists every invalid option value.</summary>
internal static class OptionsValidation
{
    // The failures travel in Exception.Data rather than in a subclass, so callers and tests that
    // expect exactly ArgumentException keep working.
    private const string FailuresKey = "Emorl.OptionsValidation.Failures";

    public static void ThrowIfAny(string optionsName, IReadOnlyCollection<string> errors)
    {
        if (errors.Count == 0)
        {
            return;
        }

        var error = new ArgumentException(
            $"{optionsName} has {errors.Count} invalid value(s):{Environment.NewLine}  - "
            + string.Join(Environment.NewLine + "  - ", errors));
        error.Data[FailuresKey] = new List<string>(errors).ToArray();
        throw error;
    }

    /// <summary>
    /// Runs one options type's <c>Validate</c> method and returns its failures instead of throwing,
    /// so that a caller can report the failures of several options objects together.
    /// </summary>
    /// <exception cref="ArgumentException">Validation failed without going through <see cref="ThrowIfAny"/>.</exception>
    public static IReadOnlyList<string> Collect(Action validate)
    {
        try
        {
            validate();
            return [];
        }
        catch (ArgumentException error) when (error.Data[FailuresKey] is string[] failures)
        {
            return failures;
        }
    }
}
