using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using Emorl.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HostedObjectives;

/// <summary>Composes the app: EMORL, two reward models written here, and the job that uses them.</summary>
internal static class HostedApp
{
    /// <summary>Builds the host; configuration comes from appsettings.json, environment variables and the command line.</summary>
    /// <param name="args">Command-line overrides such as <c>--Emorl:Training:MaxSteps=4</c>.</param>
    public static IHost Build(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            // appsettings.json sits next to the program, whatever folder it is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Services.AddOptions<FeelingWordsOptions>()
            .BindConfiguration("FeelingWords")
            .Validate(o => o.Words.Length > 0 && o.TargetCount >= 1, "FeelingWords needs at least one word in Words and a TargetCount of at least 1.")
            .ValidateOnStart();
        builder.Services.AddOptions<BrevityOptions>()
            .BindConfiguration("Brevity")
            .Validate(o => o.TargetWords >= 1, "Brevity:TargetWords must be at least 1.")
            .ValidateOnStart();

        builder.Services.AddEmorl(builder.Configuration.GetSection(EmorlOptions.SectionName))
            .AddObjective<FeelingWordsReward>("feeling-words")
            .AddObjective<BrevityReward>("brevity");
        builder.Services.AddSingleton<ReflectionJob>();
        return builder.Build();
    }

    /// <summary>
    /// Collects the options failures from a host start: one <see cref="OptionsValidationException"/>
    /// when one options type is invalid, an <see cref="AggregateException"/> of them when several are,
    /// or the binder's error for a sample setting whose value does not convert.
    /// </summary>
    public static bool TryGetConfigurationFailures(Exception error, [NotNullWhen(true)] out IReadOnlyList<string>? failures)
    {
        var errors = error is AggregateException aggregate ? aggregate.InnerExceptions : [error];
        if (errors.Count == 0 || !errors.All(e => e is OptionsValidationException || IsConversionFailure(e)))
        {
            failures = null;
            return false;
        }

        failures = errors
            .SelectMany(e => e is OptionsValidationException validation ? validation.Failures : new[] { e.Message })
            .ToArray();
        return true;
    }

    /// <summary>
    /// Recognises the configuration binder's error for a value that does not convert, such as
    /// <c>abc</c> for a number: an <see cref="InvalidOperationException"/> around the converter's error.
    /// </summary>
    private static bool IsConversionFailure(Exception error) =>
        error is InvalidOperationException { InnerException: ArgumentException or FormatException or OverflowException };
}
