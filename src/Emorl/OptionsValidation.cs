using System;
using System.Collections.Generic;

namespace Emorl;

/// <summary>Raises one exception that lists every invalid option value.</summary>
internal static class OptionsValidation
{
    public static void ThrowIfAny(string optionsName, IReadOnlyCollection<string> errors)
    {
        if (errors.Count == 0)
        {
            return;
        }

        throw new InvalidOptionsException(optionsName, [.. errors]);
    }

    /// <summary>
    /// Runs one options type's <c>Validate</c> method and returns its failures instead of throwing,
    /// so that a caller can report the failures of several options objects together.
    /// </summary>
    public static IReadOnlyList<string> Collect(Action validate)
    {
        try
        {
            validate();
            return [];
        }
        catch (InvalidOptionsException error)
        {
            return error.Failures;
        }
    }

    /// <summary>An <see cref="ArgumentException"/> that also carries each failure on its own.</summary>
    private sealed class InvalidOptionsException : ArgumentException
    {
        public InvalidOptionsException(string optionsName, IReadOnlyList<string> failures)
            : base(
                $"{optionsName} has {failures.Count} invalid value(s):{Environment.NewLine}  - "
                + string.Join(Environment.NewLine + "  - ", failures))
        {
            Failures = failures;
        }

        public IReadOnlyList<string> Failures { get; }
    }
}
