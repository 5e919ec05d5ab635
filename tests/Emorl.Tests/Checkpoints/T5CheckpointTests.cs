using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Emorl.Checkpoints;
using Emorl.Models.T5;
using Emorl.Tests.Models.T5;
using static TorchSharp.torch;

namespace Emorl.Tests.Checkpoints;

[Collection("Torch")]
public sealed class T5CheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emorl-t5-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void HuggingFaceLayoutLoadsKnownValues()
    {
        var options = TinyT5.Options(T5FeedForwardKind.GatedGelu, tied: false);
        var written = TinyT5.WriteHuggingFaceDirectory(_directory, options);

        using var model = T5Checkpoint.LoadModel(_directory);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

        // Row-major [out, in]: element [r, c] of a [24, 16] weight sits at r · 16 + c.
        const string Key = "decoder.block.2.layer.2.DenseReluDense.wi_1.weight";
        Assert.Equal(written[Key].Values[5 * 16 + 7], parameters[Key][5, 7].item<float>());
        const string BiasKey = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
        Assert.Equal(written[BiasKey].Values[3 * 2 + 1], parameters[BiasKey][3, 1].item<float>());
        Assert.Equal(written["lm_head.weight"].Values[39 * 16 + 15], model.LanguageModelHeadWeight![39, 15].item<float>());
        Assert.Equal(3, model.Options.DecoderLayerCount);
        Assert.Equal(T5FeedForwardKind.GatedGelu, model.Options.FeedForward);
        Assert.False(model.training);
    }

    [Theory]
    [InlineData(T5FeedForwardKind.Relu, true)]
    [InlineData(T5FeedForwardKind.GatedGelu, false)]
    public void SavedModelLoadsWithIdenticalOutputs(T5FeedForwardKind feedForward, bool tied)
    {
        using var model = TinyT5.Create(TinyT5.Options(feedForward, tied), seed: 9);

        T5Checkpoint.SaveModel(model, _directory);
        using var loaded = T5Checkpoint.LoadModel(_directory);

        Assert.Equal(tied, loaded.Options.TieWordEmbeddings);
        var original = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        foreach (var (name, parameter) in loaded.named_parameters())
        {
            Assert.True(parameter.allclose(original[name], rtol: 0, atol: 0), $"{name} changed in the round trip");
        }

        using var expected = Logits(model);
        using var actual = Logits(loaded);
        Assert.True(expected.allclose(actual, rtol: 0, atol: 0));
    }

    [Fact]
    public void TiedHeadStoredOnceAndShared()
    {
        using var model = TinyT5.Create();
        T5Checkpoint.SaveModel(model, _directory);

        var keys = SafetensorsFile.Read(Path.Combine(_directory, T5Checkpoint.ModelFileName));
        using var loaded = T5Checkpoint.LoadModel(_directory);
        using var hidden = ones(1, 16);
        using var before = loaded.LanguageModelHead(hidden);
        using (no_grad())
        {
            loaded.SharedEmbedding[7].fill_(2.0f);
        }

        using var after = loaded.LanguageModelHead(hidden);

        Assert.Contains("shared.weight", keys.Keys);
        Assert.DoesNotContain("lm_head.weight", keys.Keys);
        Assert.DoesNotContain("encoder.embed_tokens.weight", keys.Keys);
        Assert.Null(loaded.LanguageModelHeadWeight);
        Assert.Equal(2.0 * 16 / Math.Sqrt(16), after[0, 7].item<float>(), 5);
        Assert.NotEqual(before[0, 7].item<float>(), after[0, 7].item<float>());
        foreach (var value in keys.Values)
        {
            value.Dispose();
        }
    }

    [Fact]
    public void EqualEmbeddingCopiesAreAccepted()
    {
        var options = TinyT5.Options();
        var weights = TinyT5.RandomWeights(options, 4);
        weights["encoder.embed_tokens.weight"] = weights["shared.weight"];
        weights["lm_head.weight"] = weights["shared.weight"];
        weights.Remove("shared.weight");
        TinyT5.WriteConfig(_directory, options);
        TinyT5.WriteSafetensors(Path.Combine(_directory, T5Checkpoint.ModelFileName), weights);

        using var model = T5Checkpoint.LoadModel(_directory);

        Assert.Equal(weights["lm_head.weight"].Values[3 * 16 + 2], model.SharedEmbedding[3, 2].item<float>());
    }

    [Fact]
    public void DifferingTiedHeadIsRejected()
    {
        var options = TinyT5.Options();
        var weights = TinyT5.RandomWeights(options, 4);
        weights["lm_head.weight"] = (weights["shared.weight"].Shape, weights["shared.weight"].Values.Select(v => v + 1).ToArray());
        TinyT5.WriteConfig(_directory, options);
        TinyT5.WriteSafetensors(Path.Combine(_directory, T5Checkpoint.ModelFileName), weights);

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadModel(_directory));

        Assert.Contains("lm_head.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("tie_word_embeddings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingAndUnknownKeysAreListed()
    {
        var options = TinyT5.Options();
        var weights = TinyT5.RandomWeights(options, 4);
        weights.Remove("decoder.block.1.layer.1.EncDecAttention.k.weight");
        weights.Remove("encoder.final_layer_norm.weight");
        weights["encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"] = ([8, 2], new float[16]);
        TinyT5.WriteConfig(_directory, options);
        TinyT5.WriteSafetensors(Path.Combine(_directory, T5Checkpoint.ModelFileName), weights);

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadModel(_directory));

        Assert.Contains("Missing: [encoder.final_layer_norm.weight, decoder.block.1.layer.1.EncDecAttention.k.weight]",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("Unexpected: [encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight]",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongShapeIsListed()
    {
        var options = TinyT5.Options();
        var weights = TinyT5.RandomWeights(options, 4);
        weights["decoder.block.0.layer.2.DenseReluDense.wo.weight"] = ([24, 16], new float[24 * 16]);
        TinyT5.WriteConfig(_directory, options);
        TinyT5.WriteSafetensors(Path.Combine(_directory, T5Checkpoint.ModelFileName), weights);

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadModel(_directory));

        Assert.Contains("decoder.block.0.layer.2.DenseReluDense.wo.weight is [24, 16], expected [16, 24]",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedWeightsFileIsRejected()
    {
        TinyT5.WriteHuggingFaceDirectory(_directory, TinyT5.Options());
        string path = Path.Combine(_directory, T5Checkpoint.ModelFileName);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadModel(_directory));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedFeedForwardIsRejected()
    {
        TinyT5.WriteConfig(_directory, TinyT5.Options(), new Dictionary<string, object> { ["feed_forward_proj"] = "gated-silu" });

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadModel(_directory));

        Assert.Contains("\"gated-silu\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"gated-gelu\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingSizeKeyIsNamed()
    {
        var options = TinyT5.Options();
        TinyT5.WriteConfig(_directory, options, new Dictionary<string, object> { ["d_kv"] = "six" });

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadModel(_directory));

        Assert.Contains("\"d_kv\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigWithoutModelTypeIsNamed()
    {
        TinyT5.WriteHuggingFaceDirectory(_directory, TinyT5.Options());
        string config = Path.Combine(_directory, "config.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        node.Remove("model_type");
        File.WriteAllText(config, node.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.LoadModel(_directory));

        Assert.Contains("no model_type", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"model_type\": \"t5\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingWeightsFileIsNamed()
    {
        TinyT5.WriteConfig(_directory, TinyT5.Options());

        var error = Assert.Throws<FileNotFoundException>(() => T5Checkpoint.LoadModel(_directory));

        Assert.Contains(T5Checkpoint.ModelFileName, error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Tensor Logits(T5Model model)
    {
        var (tokens, mask) = TinyT5.PadRight(TinyT5.Prompts());
        using var promptTokens = tokens;
        using var promptMask = mask;
        using var decoderTokens = tensor(new long[] { 0, 5, 0, 9, 0, 30 }, [3, 2]);
        return model.Forward(promptTokens, promptMask, decoderTokens, null);
    }
}
