using System;
using System.Linq;
using Emorl.Evaluation;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Tokenization;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests.Tokenization;

[Collection("Torch")]
public sealed class PromptTemplateTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void BlankStatementIsRejectedWithIndex(string blank)
    {
        var template = CharacterTemplate(48);

        var error = Assert.Throws<ArgumentException>(() => template.EncodePrompts(["I feel tired", blank, "work"]));

        Assert.Contains("Statement 1 of 3 is empty or white space", error.Message, StringComparison.Ordinal);
        Assert.Equal("statements", error.ParamName);
    }

    [Fact]
    public void NullStatementIsRejectedWithIndex()
    {
        var template = CharacterTemplate(48);

        var error = Assert.Throws<ArgumentException>(() => template.EncodePrompts(["fine", "ok", null!]));

        Assert.Contains("Statement 2 of 3 is null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SingleBlankStatementIsRejected()
    {
        var template = CharacterTemplate(48);

        var error = Assert.Throws<ArgumentException>(() => template.EncodePrompt(" "));

        Assert.Contains("empty or white space", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongStatementsCutWithOneWarning()
    {
        var template = CharacterTemplate(30);
        var logger = new RecordingLogger<PromptTemplate>();
        string[] statements = [new string('a', 40) + "END", "short", new string('b', 50) + "TAIL", new string('c', 100)];

        var prompts = template.EncodePrompts(statements, logger);

        Assert.All(prompts, prompt => Assert.InRange(prompt.Count, 1, 30));
        string first = template.Tokenizer.Decode(prompts[0]);
        Assert.StartsWith("Client: ", first, StringComparison.Ordinal);
        Assert.EndsWith("aaEND\nCounselor:", first, StringComparison.Ordinal);
        Assert.Equal("Client: short\nCounselor:", template.Tokenizer.Decode(prompts[1]));
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("3 of 4 prompts were longer than 30 tokens", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluatorRejectsBlankStatementWithIndex()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ObjectiveEvaluator(CharacterTemplate(48), [new VowelReward()], ["I feel tired", "", "ok"]));

        Assert.Contains("Statement 1 of 3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Je suis épuisé et je n'arrive plus à dormir.")]
    [InlineData("我每天都很累，晚上睡不着。")]
    [InlineData("I feel awful 😢😭 and my heart hurts 💔")]
    [InlineData("Мне очень тревожно перед работой.")]
    public void NonEnglishTextGoesThroughEncodeGenerateDecode(string statement)
    {
        var tokenizer = new Gpt2Tokenizer();
        var template = new PromptTemplate(tokenizer, maxPromptTokens: 64);
        using var model = new Gpt2Model(
            new Gpt2Options { VocabularySize = tokenizer.VocabularySize, ContextLength = 80, LayerCount = 1, HiddenSize = 16, HeadCount = 2 },
            seed: 4);
        model.eval();
        var objective = new LoraObjectiveModel("base", model, null);

        var prompt = template.EncodePrompt(statement);
        var generated = objective.Generate([prompt], tokenizer.EndOfTextId, new GenerationOptions { MaxNewTokens = 8 }, seed: 2);
        string reply = template.DecodeResponse(generated[0]);

        Assert.Equal("Client: " + statement + "\nCounselor:", tokenizer.Decode(prompt));
        Assert.InRange(generated[0].Length, 0, 8);
        Assert.NotNull(reply);
    }

    [Fact]
    public void EmojiCutFromLeftStillDecodes()
    {
        var tokenizer = new Gpt2Tokenizer();
        var template = new PromptTemplate(tokenizer, maxPromptTokens: 16);
        string statement = string.Concat(Enumerable.Repeat("😢", 20)) + " end";

        var prompt = template.EncodePrompt(statement);
        string decoded = tokenizer.Decode(prompt);

        Assert.Equal(16, prompt.Count);
        Assert.EndsWith("😢 end\nCounselor:", decoded, StringComparison.Ordinal);
    }

    [Fact]
    public void PromptBeyondContextIsRejectedBeforeDecoding()
    {
        using var model = TinyModels.Create();
        var objective = new LoraObjectiveModel("base", model, null);
        int[] prompt = Enumerable.Repeat(3, 90).ToArray();

        var error = Assert.Throws<ArgumentException>(() =>
            objective.Generate([new[] { 1, 2 }, prompt], TinyModels.EndOfText, GenerationOptions.CreateGreedy(10)));

        Assert.Contains("Prompt 1 has 90 tokens", error.Message, StringComparison.Ordinal);
        Assert.Contains("beyond the model's context of 96", error.Message, StringComparison.Ordinal);
    }

    private static PromptTemplate CharacterTemplate(int maxPromptTokens) =>
        new(new CharacterTokenizer(), maxPromptTokens: maxPromptTokens, prefix: "Client: ", suffix: "\nCounselor:");

    [Fact]
    public void EndOfTextEndsEveryPromptWhenAsked()
    {
        var tokenizer = new CharacterTokenizer();
        var plain = new PromptTemplate(tokenizer, maxPromptTokens: 24, prefix: "C: ", suffix: " R:");
        var ended = new PromptTemplate(tokenizer, maxPromptTokens: 24, prefix: "C: ", suffix: " R:", endWithEndOfText: true);
        string longStatement = new('a', 40);

        var short1 = ended.EncodePrompt("hi there");
        var long1 = ended.EncodePrompt(longStatement);

        Assert.Equal(tokenizer.EndOfTextId, short1[^1]);
        Assert.Equal([.. plain.EncodePrompt("hi there"), tokenizer.EndOfTextId], short1);
        Assert.Equal(24, long1.Count);
        Assert.Equal(tokenizer.EndOfTextId, long1[^1]);
        Assert.DoesNotContain(tokenizer.EndOfTextId, plain.EncodePrompt(longStatement));
    }
}
