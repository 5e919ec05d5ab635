using Emorl.Pipeline;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Validates <see cref="EmorlOptions"/> for the options system, reporting every failure at once.</summary>
internal sealed class EmorlOptionsValidator : IValidateOptions<EmorlOptions>
{
    public ValidateOptionsResult Validate(string? name, EmorlOptions options)
    {
        var failures = options.Validate();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
