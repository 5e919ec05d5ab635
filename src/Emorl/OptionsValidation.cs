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

        throw new ArgumentException(
            $"{optionsName} has {errors.Count} invalid value(s):{Environment.NewLine}  - "
            + string.Join(Environment.NewLine + "  - ", errors));
    }
}
