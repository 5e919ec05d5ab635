using System;
using Emorl.Pipeline;
using Emorl.Search;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers EMORL's services in an <see cref="IServiceCollection"/>.</summary>
public static class EmorlServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="EmorlTrainer"/>, <see cref="HierarchicalGridSearch"/> and
    /// <see cref="EmorlOptions"/> with validation; add objectives on the returned builder.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options in code, or null to keep the defaults and any other configuration.</param>
    /// <returns>A builder that adds objectives.</returns>
    /// <remarks>
    /// Options are validated once, when they are first read (or when a generic host starts, through
    /// <c>ValidateOnStart</c>), and an <see cref="OptionsValidationException"/> lists every invalid
    /// value. Calling this method again adds no second registration and returns a builder over the
    /// same objectives.
    /// </remarks>
    public static EmorlBuilder AddEmorl(this IServiceCollection services, Action<EmorlOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<EmorlOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmorlOptions>, EmorlOptionsValidator>());
        services.TryAddSingleton(CreateTrainer);
        services.TryAddSingleton(CreateSearch);
        return new EmorlBuilder(services);
    }

    /// <summary>Registers EMORL's services with options bound from a configuration section.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">
    /// The section to bind, such as <c>configuration.GetSection("Emorl")</c>; keys follow the option
    /// property names (<c>Training:LearningRate</c>, <c>Search:Levels</c>, ...).
    /// </param>
    /// <returns>A builder that adds objectives.</returns>
    /// <remarks>
    /// A key that names no option, such as a misspelt <c>Training:LearningRat</c>, and a value that does
    /// not convert to its option's type, such as <c>abc</c> for a number, are validation failures,
    /// reported in one <see cref="OptionsValidationException"/> with every other invalid value.
    /// </remarks>
    public static EmorlBuilder AddEmorl(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // Bound here rather than with OptionsBuilder.Bind, so that misspelt keys and values that do not
        // convert are listed with the other invalid values instead of being ignored or thrown alone.
        var binding = new EmorlConfigurationBinding(configuration);
        services.AddSingleton<IConfigureOptions<EmorlOptions>>(binding);
        services.AddSingleton<IValidateOptions<EmorlOptions>>(binding);
        services.AddSingleton<IOptionsChangeTokenSource<EmorlOptions>>(new ConfigurationChangeTokenSource<EmorlOptions>(configuration));
        return services.AddEmorl();
    }

    private static EmorlTrainer CreateTrainer(IServiceProvider services)
    {
        // Reading Value runs the registered validator, so the trainer need not validate again.
        var options = services.GetRequiredService<IOptions<EmorlOptions>>().Value;
        return new EmorlTrainer(
            options, services.GetServices<ObjectiveDefinition>(), services.GetService<ILoggerFactory>(), validateOptions: false);
    }

    private static HierarchicalGridSearch CreateSearch(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<EmorlOptions>>().Value;
        return new HierarchicalGridSearch(options.Search, services.GetService<ILogger<HierarchicalGridSearch>>());
    }
}
