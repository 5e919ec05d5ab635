using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Emorl.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Binds a configuration section to <see cref="EmorlOptions"/>, and reports as validation failures
/// the keys that match no option and the values that do not convert to their option's type.
/// </summary>
/// <remarks>
/// The configuration binder ignores unknown keys, so a misspelt key would leave its option at the
/// default without any message. It also throws on the first value it cannot convert, before any
/// validator runs, so the other invalid values would go unreported. This type binds in
/// <see cref="Configure"/>, keeps a conversion error instead of throwing it, and lists every key
/// problem in <see cref="Validate"/>, where the options system reports it together with the range
/// failures of <see cref="EmorlOptions.Validate"/>. Keys match property names ignoring case, as in
/// the binder.
/// </remarks>
internal sealed class EmorlConfigurationBinding : IConfigureOptions<EmorlOptions>, IValidateOptions<EmorlOptions>
{
    private readonly IConfiguration _configuration;
    private string? _bindError;

    public EmorlConfigurationBinding(IConfiguration configuration)
    {
        _configuration = configuration;
    }

    public void Configure(EmorlOptions options)
    {
        try
        {
            _configuration.Bind(options);
            _bindError = null;
        }
        catch (InvalidOperationException error)
        {
            // Validate reports the value that failed, with every other invalid key.
            // NOTE: the binder stops at that value, so options it would have bound later keep their
            // defaults, and their range failures show only once the listed values are fixed.
            _bindError = error.Message;
        }
    }

    public ValidateOptionsResult Validate(string? name, EmorlOptions options)
    {
        if (name != Options.Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        CheckSection(_configuration, typeof(EmorlOptions), failures);
        if (failures.Count == 0 && _bindError is not null)
        {
            // A conversion this check does not foresee still fails loudly.
            failures.Add(_bindError);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Skip : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckSection(IConfiguration section, Type type, List<string> failures)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                string hint = type == typeof(EmorlOptions)
                    ? $" If the EMORL settings sit in a section, pass configuration.GetSection(\"{EmorlOptions.SectionName}\") to AddEmorl."
                    : "";
                failures.Add(
                    $"{child.Path} is not a setting of {type.Name}, so it would be ignored; the settings there are "
                    + $"{string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}. Fix the key's spelling or remove it.{hint}");
                continue;
            }

            CheckValue(child, property.PropertyType, failures);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> failures)
    {
        Type? element = ElementType(type);
        if (element is not null)
        {
            CheckList(section, element, failures);
        }
        else if (IsScalar(type))
        {
            CheckScalar(section, type, failures);
        }
        else
        {
            if (section.Value is { Length: > 0 })
            {
                failures.Add($"{section.Path} is '{section.Value}', but it is a section; set the keys under it, such as {section.Path}:NAME.");
            }

            CheckSection(section, type, failures);
        }
    }

    private static void CheckList(IConfigurationSection section, Type element, List<string> failures)
    {
        if (section.Value is { Length: > 0 })
        {
            failures.Add(
                $"{section.Path} is '{section.Value}', but it is a list; give each element its own key, "
                + $"{section.Path}:0, {section.Path}:1, and so on (a JSON array does this).");
        }

        foreach (var item in section.GetChildren())
        {
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                failures.Add($"{item.Path} is not a list index; number the elements of {section.Path} 0, 1, 2, and so on.");
                continue;
            }

            CheckScalar(item, element, failures);
        }
    }

    private static void CheckScalar(IConfigurationSection section, Type type, List<string> failures)
    {
        if (section.GetChildren().Any())
        {
            failures.Add($"{section.Path} is a single value, but the configuration has keys under it; remove {section.Path}:* .");
            return;
        }

        string? value = section.Value;
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Type target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
        }
        catch (Exception error) when (error is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            failures.Add($"{section.Path} is '{value}', which is not {Describe(target)}; fix the value.");
        }
    }

    private static bool IsScalar(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        return target.IsPrimitive || target.IsEnum || target == typeof(string) || target == typeof(decimal);
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>) || definition == typeof(List<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>))
            ? type.GetGenericArguments()[0]
            : null;
    }

    private static string Describe(Type type)
    {
        if (type.IsEnum)
        {
            return $"one of {string.Join(", ", Enum.GetNames(type))}";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        return type == typeof(int) || type == typeof(long)
            ? $"a whole number (a {type.Name} written with digits only)"
            : $"a {type.Name} number written with a '.' decimal point, such as 0.001 or 1e-3";
    }
}
