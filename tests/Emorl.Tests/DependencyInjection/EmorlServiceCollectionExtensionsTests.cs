using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Pipeline;
using Emorl.Search;
using Emorl.Tokenization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Emorl.Tests.DependencyInjection;

[Collection("Torch")]
public sealed class EmorlServiceCollectionExtensionsTests
{
    [Fact]
    public void AddEmorlRegistersTrainerWithObjectivesInOrder()
    {
        var services = new ServiceCollection();
        services.AddEmorl().AddObjective<VowelReward>("vowels").AddObjective<LengthReward>("length");
        using var provider = services.BuildServiceProvider();

        var trainer = provider.GetRequiredService<EmorlTrainer>();

        Assert.Equal(["vowels", "length"], trainer.Objectives);
    }

    [Fact]
    public void ConfigureDelegateSetsOptions()
    {
        var services = new ServiceCollection();
        services.AddEmorl(o => o.Search.Levels = 3);
        using var provider = services.BuildServiceProvider();

        var search = provider.GetRequiredService<HierarchicalGridSearch>();

        Assert.Equal(3, search.Levels);
    }

    [Fact]
    public void ConfigurationBindsNestedOptions()
    {
        var configuration = Configuration(new()
        {
            ["Emorl:Seed"] = "9",
            ["Emorl:Training:LearningRate"] = "0.02",
            ["Emorl:Training:Algorithm"] = "Rloo",
            ["Emorl:Training:Sampling:TopK"] = "5",
            ["Emorl:Search:Levels"] = "4",
            ["Emorl:Model:HiddenSize"] = "64",
        });
        var services = new ServiceCollection();
        services.AddEmorl(configuration.GetSection(EmorlOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EmorlOptions>>().Value;

        Assert.Equal(9, options.Seed);
        Assert.Equal(0.02, options.Training.LearningRate, 12);
        Assert.Equal(Emorl.Training.PolicyAlgorithm.Rloo, options.Training.Algorithm);
        Assert.Equal(5, options.Training.Sampling.TopK);
        Assert.Equal(4, options.Search.Levels);
        Assert.Equal(64, options.Model.HiddenSize);
    }

    [Fact]
    public void InvalidConfigurationReportsEveryFailureTogether()
    {
        var configuration = Configuration(new()
        {
            ["Emorl:Training:LearningRate"] = "-1",
            ["Emorl:Search:Levels"] = "0",
            ["Emorl:Lora:Rank"] = "0",
        });
        var services = new ServiceCollection();
        services.AddEmorl(configuration.GetSection(EmorlOptions.SectionName)).AddObjective<VowelReward>("vowels");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<EmorlTrainer>());

        Assert.Equal(3, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.StartsWith("Training.LearningRate", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Search.Levels", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Lora.Rank", StringComparison.Ordinal));
    }

    [Fact]
    public void MisspeltKeysAreReported()
    {
        var configuration = Configuration(new()
        {
            ["Emorl:Training:LearningRat"] = "0.5",
            ["Emorl:Trainng:MaxSteps"] = "3",
        });
        var services = new ServiceCollection();
        services.AddEmorl(configuration.GetSection(EmorlOptions.SectionName)).AddObjective<VowelReward>("vowels");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<EmorlTrainer>());

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.StartsWith("Emorl:Training:LearningRat is not a setting of PolicyTrainerOptions", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Emorl:Trainng is not a setting of EmorlOptions", StringComparison.Ordinal));
    }

    [Fact]
    public void UnconvertibleValuesAreReportedWithOtherFailures()
    {
        var configuration = Configuration(new()
        {
            ["Emorl:Training:LearningRate"] = "abc",
            ["Emorl:Training:Algorithm"] = "grpo",
            ["Emorl:Training:ObjectiveWeights"] = "1,2",
            ["Emorl:Lora:Rank"] = "0",
        });
        var services = new ServiceCollection();
        services.AddEmorl(configuration.GetSection(EmorlOptions.SectionName)).AddObjective<VowelReward>("vowels");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<EmorlTrainer>());

        Assert.Equal(4, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.StartsWith("Emorl:Training:LearningRate is 'abc', which is not a Double number", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Emorl:Training:Algorithm is 'grpo', which is not one of KScst, Rloo, Ppo", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Emorl:Training:ObjectiveWeights is '1,2', but it is a list", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Lora.Rank is 0", StringComparison.Ordinal));
    }

    [Fact]
    public void ListsAndKeysInAnyCaseBind()
    {
        var configuration = Configuration(new()
        {
            ["Emorl:training:objectiveWeights:0"] = "1",
            ["Emorl:training:objectiveWeights:1"] = "0.5",
            ["Emorl:DECODING:greedy"] = "false",
            ["Emorl:Training:TargetKl"] = "6",
        });
        var services = new ServiceCollection();
        services.AddEmorl(configuration.GetSection(EmorlOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EmorlOptions>>().Value;

        Assert.Equal([1.0, 0.5], options.Training.ObjectiveWeights);
        Assert.False(options.Decoding.Greedy);
        Assert.Equal(6.0, options.Training.TargetKl);
    }

    [Fact]
    public void OptionsAreValidatedOnce()
    {
        var services = new ServiceCollection();
        var validator = new CountingValidator();
        services.AddSingleton<IValidateOptions<EmorlOptions>>(validator);
        services.AddEmorl().AddObjective<VowelReward>("vowels");
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<EmorlTrainer>();
        provider.GetRequiredService<HierarchicalGridSearch>();
        provider.GetRequiredService<IOptions<EmorlOptions>>();

        Assert.Equal(1, validator.Calls);
    }

    [Fact]
    public void DuplicateObjectiveNameIsRejected()
    {
        var builder = new ServiceCollection().AddEmorl().AddObjective<VowelReward>("vowels");

        var error = Assert.Throws<ArgumentException>(() => builder.AddObjective<LengthReward>("vowels"));

        Assert.Contains("'vowels'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("..", "names a folder itself")]
    [InlineData(".", "names a folder itself")]
    [InlineData("a/b", "contains a path separator")]
    [InlineData("/tmp/elsewhere", "contains a path separator")]
    [InlineData("a\\b", "contains a path separator")]
    [InlineData("a\nb", "contains a control character")]
    public void ObjectiveNameThatIsNoFolderNameIsRejected(string name, string problem)
    {
        var builder = new ServiceCollection().AddEmorl();

        var fromBuilder = Assert.Throws<ArgumentException>(() => builder.AddObjective<VowelReward>(name));
        var fromDefinition = Assert.Throws<ArgumentException>(() => new ObjectiveDefinition(name, _ => new VowelReward()));

        Assert.Contains($"The objective name '{name}' {problem}", fromBuilder.Message, StringComparison.Ordinal);
        Assert.Equal("name", fromBuilder.ParamName);
        Assert.Contains($"The objective name '{name}' {problem}", fromDefinition.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondAddEmorlSeesEarlierObjectives()
    {
        var services = new ServiceCollection();
        services.AddEmorl().AddObjective<VowelReward>("vowels");

        var error = Assert.Throws<ArgumentException>(() => services.AddEmorl().AddObjective<LengthReward>("vowels"));

        Assert.Contains("'vowels'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TypedObjectiveUsesContainerRewardUnderObjectiveName()
    {
        var services = new ServiceCollection();
        services.AddEmorl().AddObjective<VowelReward>("vowel share");
        using var provider = services.BuildServiceProvider();
        var definition = Assert.Single(provider.GetServices<ObjectiveDefinition>());
        using var model = TinyModels.Create();
        var context = new RewardModelContext(model, new PromptTemplate(new CharacterTokenizer(), 24, 16));

        var reward = definition.CreateReward(context);

        Assert.Equal("vowel share", reward.Name);
        Assert.False(definition.OwnsReward);
        Assert.Equal(provider.GetRequiredService<VowelReward>().Score([new("a", "ab")]), reward.Score([new("a", "ab")]));
    }

    [Fact]
    public void FluencyObjectiveScoresWithTheRunsBaseModel()
    {
        var services = new ServiceCollection();
        services.AddEmorl().AddPerplexityFluencyObjective(maxPerplexity: 1e6);
        using var provider = services.BuildServiceProvider();
        var definition = Assert.Single(provider.GetServices<ObjectiveDefinition>());
        using var model = TinyModels.Create();
        var context = new RewardModelContext(model, new PromptTemplate(new CharacterTokenizer(), 24, 16));

        var reward = definition.CreateReward(context);
        var score = Assert.Single(reward.Score([new("I feel tired", "you sound tired")]));

        Assert.Equal("fluency", reward.Name);
        Assert.True(definition.OwnsReward);
        Assert.InRange(score, 0.5, 1.0);
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private sealed class CountingValidator : IValidateOptions<EmorlOptions>
    {
        public int Calls { get; private set; }

        public ValidateOptionsResult Validate(string? name, EmorlOptions options)
        {
            Calls++;
            return ValidateOptionsResult.Success;
        }
    }
}
