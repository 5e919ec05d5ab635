using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using Emorl.Checkpoints;
using Emorl.Models;
using Emorl.Models.T5;
using Emorl.Tests.Models.T5;
using static TorchSharp.torch;

namespace Emorl.Tests.Checkpoints;

[Collection("Torch")]
public sealed class T5AdapterCheckpointTests : IDisposable
{
    private const int Rank = 2;
    private static readonly string[] s_projectionNames = ["q", "k", "v", "o", "wi", "wi_0", "wi_1", "wo"];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emorl-t5-adapter-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(T5FeedForwardKind.Relu)]
    [InlineData(T5FeedForwardKind.GatedGelu)]
    public void SavedAdapterLoadsWithIdenticalOutputs(T5FeedForwardKind feedForward)
    {
        using var model = TinyT5.Create(TinyT5.Options(feedForward), seed: 4);
        using var adapter = TinyT5.PerturbedAdapter(model, seed: 21);

        T5Checkpoint.SaveAdapter(adapter, _directory, "t5-small");
        using var loaded = T5Checkpoint.LoadAdapter(_directory, model);

        Assert.Equal(adapter.Targets, loaded.Targets);
        Assert.Equal(adapter.Options.Alpha, loaded.Options.Alpha);
        Assert.True(File.Exists(Path.Combine(_directory, CheckpointManifest.DirectoryManifestFileName)));
        using var bare = Logits(model, null);
        using var expected = Logits(model, adapter);
        using var actual = Logits(model, loaded);
        Assert.False(expected.allclose(bare, rtol: 0, atol: 1e-4), "the perturbed adapter should change the logits");
        Assert.True(expected.allclose(actual, rtol: 0, atol: 0));
    }

    [Fact]
    public void SavedConfigHasPeftKeys()
    {
        using var model = TinyT5.Create(TinyT5.Options(T5FeedForwardKind.GatedGelu));
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 16, Dropout = 0.1 }, seed: 2);

        T5Checkpoint.SaveAdapter(adapter, _directory, "google/flan-t5-small");

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, T5Checkpoint.AdapterConfigFileName)))!.AsObject();
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal("SEQ_2_SEQ_LM", config["task_type"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(16, config["lora_alpha"]!.GetValue<double>());
        Assert.Equal(0.1, config["lora_dropout"]!.GetValue<double>());
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.False(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.Equal("google/flan-t5-small", config["base_model_name_or_path"]!.GetValue<string>());
        var targets = config["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(["k", "o", "q", "v", "wi_0", "wi_1", "wo"], targets);

        var keys = SafetensorsFile.Read(Path.Combine(_directory, T5Checkpoint.AdapterFileName));
        try
        {
            var shape = keys["base_model.model.decoder.block.2.layer.1.EncDecAttention.o.lora_B.weight"].shape;
            Assert.Equal([16L, 4L], shape);
            Assert.Equal([4L, 16L], keys["base_model.model.encoder.block.0.layer.1.DenseReluDense.wi_1.lora_A.weight"].shape);
        }
        finally
        {
            foreach (var value in keys.Values)
            {
                value.Dispose();
            }
        }
    }

    [Fact]
    public void PartialAdapterListsFullModulePaths()
    {
        using var model = TinyT5.Create();
        using var full = LoraAdapter.Create(model, new LoraOptions { Rank = Rank, Alpha = 4, Dropout = 0 }, seed: 2);
        var factors = new Dictionary<string, (Tensor A, Tensor B)>(StringComparer.Ordinal);
        const string Path1 = "encoder.block.1.layer.0.SelfAttention.q";
        Assert.True(full.TryGetFactors(Path1, out var a, out var b));
        factors[Path1] = (a, b);
        using var partial = LoraAdapter.FromTensors(full.Options, factors);

        T5Checkpoint.SaveAdapter(partial, _directory);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, T5Checkpoint.AdapterConfigFileName)))!.AsObject();
        Assert.Equal([Path1], config["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()));
        using var loaded = T5Checkpoint.LoadAdapter(_directory, model);
        Assert.Equal([Path1], loaded.Targets);
    }

    [Fact]
    public void PeftFixtureLoadsKnownValues()
    {
        var options = TinyT5.Options();
        var written = WritePeftFixture(options, key => $"base_model.model.{key}");
        using var model = TinyT5.Create(options);

        using var adapter = T5Checkpoint.LoadAdapter(_directory, model);

        Assert.Equal(Rank, adapter.Options.Rank);
        Assert.Equal(8, adapter.Options.Alpha);
        Assert.Equal(model.AdaptableProjections().Count(), adapter.Targets.Count);
        AssertKnownValues(adapter, written, key => $"base_model.model.{key}");
    }

    [Fact]
    public void DefaultAdapterNameAndMissingPrefixLoad()
    {
        var options = TinyT5.Options();
        static string Name(string key) => key.Replace(".weight", ".default.weight", StringComparison.Ordinal);
        var written = WritePeftFixture(options, Name);
        using var model = TinyT5.Create(options);

        using var adapter = T5Checkpoint.LoadAdapter(_directory, model);

        AssertKnownValues(adapter, written, Name);
    }

    [Fact]
    public void MisfitFactorsListedInOneError()
    {
        var options = TinyT5.Options();
        const string Misshapen = "base_model.model.decoder.block.1.layer.0.SelfAttention.v.lora_A.weight";
        const string Dropped = "base_model.model.encoder.block.0.layer.1.DenseReluDense.wo.lora_B.weight";
        const string Stray = "base_model.model.lm_head.lora_A.weight";
        var tensors = FixtureTensors(options, key => $"base_model.model.{key}");
        tensors[Misshapen] = ([Rank, 15], new float[Rank * 15]);
        tensors.Remove(Dropped);
        tensors[Stray] = ([Rank, 16], new float[Rank * 16]);
        WriteFixture(tensors);
        using var model = TinyT5.Create(options);

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadAdapter(_directory, model));

        Assert.Contains(T5Checkpoint.AdapterFileName, error.Message, StringComparison.Ordinal);
        Assert.Contains("2 + 3 layers, d_model 16", error.Message, StringComparison.Ordinal);
        Assert.Contains("decoder.block.1.layer.0.SelfAttention.v: lora_A is [2, 15]", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected [2, 16]", error.Message, StringComparison.Ordinal);
        Assert.Contains("encoder.block.0.layer.1.DenseReluDense.wo has only lora_A", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key " + Stray, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GatedAdapterDoesNotLoadOntoReluModel()
    {
        using var gated = TinyT5.Create(TinyT5.Options(T5FeedForwardKind.GatedGelu));
        using var adapter = TinyT5.PerturbedAdapter(gated, seed: 3);
        T5Checkpoint.SaveAdapter(adapter, _directory);
        using var relu = TinyT5.Create(TinyT5.Options(T5FeedForwardKind.Relu));

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadAdapter(_directory, relu));

        Assert.Contains("unexpected key base_model.model.encoder.block.0.layer.1.DenseReluDense.wi_0.lora_A.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("feed-forward Relu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CausalLanguageModelConfigIsRejected()
    {
        var options = TinyT5.Options();
        WritePeftFixture(options, key => $"base_model.model.{key}", taskType: "CAUSAL_LM");
        using var model = TinyT5.Create(options);

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadAdapter(_directory, model));

        Assert.Contains("task_type is \"CAUSAL_LM\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("SEQ_2_SEQ_LM", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedSavedAdapterFailsTheManifestCheck()
    {
        using var model = TinyT5.Create();
        using var adapter = TinyT5.PerturbedAdapter(model, seed: 8);
        T5Checkpoint.SaveAdapter(adapter, _directory);
        string weights = Path.Combine(_directory, T5Checkpoint.AdapterFileName);
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<InvalidDataException>(() => T5Checkpoint.LoadAdapter(_directory, model));

        Assert.Contains(T5Checkpoint.AdapterFileName, error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static void AssertKnownValues(
        LoraAdapter adapter, Dictionary<string, (long[] Shape, float[] Values)> written, Func<string, string> name)
    {
        // A is [r, in] = [2, 16] and B is [out, r] = [24, 2], row-major.
        const string FeedForward = "decoder.block.2.layer.2.DenseReluDense.wi";
        Assert.True(adapter.TryGetFactors(FeedForward, out var a, out var b));
        Assert.Equal(written[name(FeedForward + ".lora_A.weight")].Values[1 * 16 + 9], a[1, 9].item<float>());
        Assert.Equal(written[name(FeedForward + ".lora_B.weight")].Values[17 * 2 + 1], b[17, 1].item<float>());

        // The o projection maps the 2 · 6 = 12 attention values back to 16: A [2, 12], B [16, 2].
        const string Output = "encoder.block.1.layer.0.SelfAttention.o";
        Assert.True(adapter.TryGetFactors(Output, out var oa, out var ob));
        Assert.Equal([2L, 12L], oa.shape);
        Assert.Equal(written[name(Output + ".lora_A.weight")].Values[0 * 12 + 11], oa[0, 11].item<float>());
        Assert.Equal(written[name(Output + ".lora_B.weight")].Values[15 * 2 + 0], ob[15, 0].item<float>());
    }

    /// <summary>Builds factors for every projection from the Hugging Face key list, values seeded.</summary>
    private static Dictionary<string, (long[] Shape, float[] Values)> FixtureTensors(T5Options options, Func<string, string> name)
    {
        var random = new Random(17);
        var tensors = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var (key, shape) in TinyT5.HuggingFaceKeys(options))
        {
            string module = key[..^".weight".Length];
            if (!s_projectionNames.Contains(module[(module.LastIndexOf('.') + 1)..]))
            {
                continue;
            }

            long outFeatures = shape[0], inFeatures = shape[1];
            tensors[name($"{module}.lora_A.weight")] = ([Rank, inFeatures], Values(random, Rank * inFeatures));
            tensors[name($"{module}.lora_B.weight")] = ([outFeatures, Rank], Values(random, outFeatures * Rank));
        }

        return tensors;
    }

    private static float[] Values(Random random, long count) =>
        Enumerable.Range(0, (int)count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

    private Dictionary<string, (long[] Shape, float[] Values)> WritePeftFixture(
        T5Options options, Func<string, string> name, string taskType = "SEQ_2_SEQ_LM")
    {
        var tensors = FixtureTensors(options, name);
        WriteFixture(tensors, taskType);
        return tensors;
    }

    /// <summary>Writes adapter_config.json as PEFT's save_pretrained does, and the weights with TinyT5's own writer.</summary>
    private void WriteFixture(Dictionary<string, (long[] Shape, float[] Values)> tensors, string taskType = "SEQ_2_SEQ_LM")
    {
        Directory.CreateDirectory(_directory);
        var config = new Dictionary<string, object?>
        {
            ["alpha_pattern"] = new Dictionary<string, object>(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = "t5-small",
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["lora_alpha"] = 8,
            ["lora_dropout"] = 0.05,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = Rank,
            ["rank_pattern"] = new Dictionary<string, object>(),
            ["target_modules"] = new[] { "q", "k", "v", "o", "wi", "wo" },
            ["task_type"] = taskType,
            ["use_dora"] = false,
            ["use_rslora"] = false,
        };
        File.WriteAllText(Path.Combine(_directory, "adapter_config.json"), JsonSerializer.Serialize(config));
        TinyT5.WriteSafetensors(Path.Combine(_directory, "adapter_model.safetensors"), tensors);
    }

    private static Tensor Logits(T5Model model, LoraAdapter? adapter)
    {
        var (tokens, mask) = TinyT5.PadRight(TinyT5.Prompts());
        using var promptTokens = tokens;
        using var promptMask = mask;
        using var decoderTokens = tensor(new long[] { 0, 5, 0, 9, 0, 30 }, [3, 2]);
        return model.Forward(promptTokens, promptMask, decoderTokens, adapter);
    }
}
