using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Emorl.Checkpoints;
using Emorl.Models;
using static Emorl.Tests.Checkpoints.HuggingFaceFixtures;
using static TorchSharp.torch;

namespace Emorl.Tests.Checkpoints;

/// <summary>Loads checkpoint directories written from Hugging Face's and PEFT's formats by the fixtures.</summary>
[Collection("Torch")]
public sealed class Gpt2CheckpointHuggingFaceTests : IDisposable
{
    private const int Vocabulary = 20;
    private const int Positions = 16;
    private const int Hidden = 8;
    private const int Layers = 2;
    private const int Heads = 2;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emorl-hf-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void T5DirectoryPointsToT5Checkpoint()
    {
        using (var t5 = Emorl.Tests.Models.T5.TinyT5.Create())
        {
            T5Checkpoint.SaveModel(t5, _directory);
        }

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(_directory));

        Assert.Contains("has model_type \"t5\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("T5Checkpoint.LoadModel", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HalfPrecisionSafetensorsWithoutPrefixLoad()
    {
        var values = WriteSafetensorsModel("F16", prefix: "", withBuffers: true);

        using var model = Gpt2Checkpoint.LoadModel(_directory);

        Assert.Equal(Layers, model.Options.LayerCount);
        Assert.Equal(ScalarType.Float32, model.TokenEmbedding.dtype);
        Assert.Equal((float)(Half)values["wte.weight"][3 * Hidden + 1], model.TokenEmbedding[3, 1].item<float>());
        // Conv1D layout: element [2, 5] of the stored [in, out] weight is row 2, column 5 as loaded.
        var cAttn = model.named_parameters().Single(p => p.name == "h.1.attn.c_attn.weight").parameter;
        Assert.Equal((float)(Half)values["h.1.attn.c_attn.weight"][(2 * 3 * Hidden) + 5], cAttn[2, 5].item<float>());
    }

    [Fact]
    public void BFloat16PyTorchBinLoads()
    {
        var random = new Random(3);
        var tensors = new List<TorchTensor>();
        var storages = new Dictionary<string, byte[]>();
        var counts = new Dictionary<string, long>();
        var values = new Dictionary<string, float[]>();
        foreach (var (name, shape) in Gpt2Shapes(Vocabulary, Positions, Hidden, Layers))
        {
            string key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            values[name] = Values(name, shape, random);
            storages[key] = Encode(values[name], "BF16");
            counts[key] = values[name].Length;
            tensors.Add(new("transformer." + name, key, "BFloat16Storage", 0, shape, RowMajorStride(shape)));
        }

        // torch.save of GPT2LMHeadModel stores lm_head.weight as a second view of wte's storage.
        tensors.Add(new("lm_head.weight", "0", "BFloat16Storage", 0, [Vocabulary, Hidden], [Hidden, 1]));
        WriteConfig(_directory, Vocabulary, Positions, Hidden, Layers, Heads);
        WritePyTorchZip(Path.Combine(_directory, Gpt2Checkpoint.PyTorchModelFileName), tensors, storages, counts);

        using var model = Gpt2Checkpoint.LoadModel(_directory);

        float expected = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(values["ln_f.bias"][4]) & 0xFFFF0000);
        var lnF = model.named_parameters().Single(p => p.name == "ln_f.bias").parameter;
        Assert.Equal(expected, lnF[4].item<float>());
    }

    [Fact]
    public void LanguageModelHeadSharesTheTokenEmbedding()
    {
        WriteSafetensorsModel("F32", prefix: "transformer.", withBuffers: false);
        using var model = Gpt2Checkpoint.LoadModel(_directory);
        using var hidden = ones(1, Hidden);
        using var before = model.LanguageModelHead(hidden);

        using (no_grad())
        {
            model.TokenEmbedding.mul_(2);
        }

        using var after = model.LanguageModelHead(hidden);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("lm_head", StringComparison.Ordinal));
        Assert.True(after.allclose(before.mul(2), rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void WrongShapeAndUnexpectedKeyAreListed()
    {
        var random = new Random(5);
        var raw = Gpt2Shapes(Vocabulary, Positions, Hidden, Layers)
            .Select(t => t.Name == "h.0.mlp.c_fc.weight" ? (t.Name, Shape: new long[] { Hidden, 3 * Hidden }) : (t.Name, t.Shape))
            .Append(("h.0.attn.extra", new long[] { 2 }))
            .Select(t => new RawTensor(t.Item1, "F32", t.Item2, Encode(Values(t.Item1, t.Item2, random), "F32")));
        WriteConfig(_directory, Vocabulary, Positions, Hidden, Layers, Heads);
        WriteSafetensors(Path.Combine(_directory, Gpt2Checkpoint.ModelFileName), raw);

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(_directory));

        Assert.Contains("h.0.mlp.c_fc.weight is [8, 24], expected [8, 32]", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unexpected: [h.0.attn.extra]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedHuggingFaceWeightsAreReported()
    {
        WriteSafetensorsModel("F32", prefix: "", withBuffers: false);
        string path = Path.Combine(_directory, Gpt2Checkpoint.ModelFileName);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(_directory));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"activation_function\": \"gelu_new\"", "\"activation_function\": \"relu\"", "activation_function")]
    [InlineData("\"n_inner\": null", "\"n_inner\": 10", "n_inner")]
    [InlineData("\"scale_attn_by_inverse_layer_idx\": false", "\"scale_attn_by_inverse_layer_idx\": true", "scale_attn_by_inverse_layer_idx")]
    public void UnsupportedConfigurationIsNamed(string original, string replacement, string key)
    {
        WriteSafetensorsModel("F32", prefix: "", withBuffers: false);
        string path = Path.Combine(_directory, Gpt2Checkpoint.ConfigFileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace(original, replacement, StringComparison.Ordinal));

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(_directory));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("base_model.model.transformer.", "")]
    [InlineData("base_model.model.transformer.", ".default")]
    [InlineData("base_model.model.", "")]
    [InlineData("transformer.", ".default")]
    public void PeftKeyVariantsLoad(string prefix, string adapterName)
    {
        using var model = TinyModels.Create(5);
        const int Rank = 2;
        var random = new Random(11);
        var raw = new List<RawTensor>();
        var values = new Dictionary<string, float[]>();
        foreach (var (path, inFeatures, outFeatures) in model.AdaptableProjections().Where(p => p.Path.EndsWith("c_attn", StringComparison.Ordinal)))
        {
            values[path + "A"] = Values("a", [Rank, inFeatures], random);
            values[path + "B"] = Values("b", [outFeatures, Rank], random);
            raw.Add(new($"{prefix}{path}.lora_A{adapterName}.weight", "F32", [Rank, inFeatures], Encode(values[path + "A"], "F32")));
            raw.Add(new($"{prefix}{path}.lora_B{adapterName}.weight", "F32", [outFeatures, Rank], Encode(values[path + "B"], "F32")));
        }

        WritePeftConfig(Rank, "\"use_dora\": false,");
        WriteSafetensors(Path.Combine(_directory, Gpt2Checkpoint.AdapterFileName), raw, "{\"format\":\"pt\"}");

        using var adapter = Gpt2Checkpoint.LoadAdapter(_directory, model);

        Assert.Equal(new[] { "h.0.attn.c_attn", "h.1.attn.c_attn" }, adapter.Targets.Order(StringComparer.Ordinal));
        Assert.True(adapter.TryGetFactors("h.1.attn.c_attn", out var a, out var b));
        Assert.Equal(values["h.1.attn.c_attnA"][(1 * 32) + 7], a[1, 7].item<float>());
        Assert.Equal(values["h.1.attn.c_attnB"][(50 * Rank) + 1], b[50, 1].item<float>());
        Assert.Equal(16.0 / Rank, adapter.Options.Scale);
    }

    [Theory]
    [InlineData("\"use_dora\": true,", "use_dora")]
    [InlineData("\"use_rslora\": true,", "use_rslora")]
    [InlineData("\"modules_to_save\": [\"lm_head\"],", "modules_to_save")]
    [InlineData("\"rank_pattern\": {\"c_attn\": 4},", "rank_pattern")]
    public void UnsupportedPeftOptionIsNamed(string extra, string key)
    {
        using var model = TinyModels.Create(5);
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 2 }, 1);
        Gpt2Checkpoint.SaveAdapter(adapter, _directory);
        WritePeftConfig(2, extra);

        // A config written by PEFT comes without this library's manifest.
        File.Delete(Path.Combine(_directory, CheckpointManifest.DirectoryManifestFileName));
        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadAdapter(_directory, model));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedAdapterConfigUsesPeftKeys()
    {
        using var model = TinyModels.Create(5);
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1 }, 1);

        Gpt2Checkpoint.SaveAdapter(adapter, _directory, "gpt2");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, Gpt2Checkpoint.AdapterConfigFileName)))!;

        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", config["task_type"]!.GetValue<string>());
        Assert.Equal("gpt2", config["base_model_name_or_path"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(8, config["lora_alpha"]!.GetValue<double>());
        Assert.True(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.Equal(new[] { "c_attn", "c_proj", "c_fc" }, config["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private Dictionary<string, float[]> WriteSafetensorsModel(string dtype, string prefix, bool withBuffers)
    {
        var random = new Random(2);
        var values = new Dictionary<string, float[]>();
        var raw = new List<RawTensor>();
        foreach (var (name, shape) in Gpt2Shapes(Vocabulary, Positions, Hidden, Layers))
        {
            values[name] = Values(name, shape, random);
            raw.Add(new(prefix + name, dtype, shape, Encode(values[name], dtype)));
            if (withBuffers && name.EndsWith("ln_1.weight", StringComparison.Ordinal))
            {
                // Older transformers versions save the causal-mask buffers too.
                string layer = name[..^"ln_1.weight".Length];
                raw.Add(new(prefix + layer + "attn.bias", "F32", [1, 1, Positions, Positions], new byte[4 * Positions * Positions]));
                raw.Add(new(prefix + layer + "attn.masked_bias", "F32", [], new byte[4]));
            }
        }

        WriteConfig(_directory, Vocabulary, Positions, Hidden, Layers, Heads);
        WriteSafetensors(Path.Combine(_directory, Gpt2Checkpoint.ModelFileName), raw, "{\"format\":\"pt\"}");
        return values;
    }

    private void WritePeftConfig(int rank, string extra)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, Gpt2Checkpoint.AdapterConfigFileName), $$"""
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "gpt2",
              "bias": "none",
              "fan_in_fan_out": true,
              "inference_mode": true,
              "init_lora_weights": true,
              "layers_pattern": null,
              "layers_to_transform": null,
              "lora_alpha": 16,
              "lora_dropout": 0.0,
              {{extra}}
              "peft_type": "LORA",
              "r": {{rank}},
              "revision": null,
              "target_modules": ["c_attn"],
              "task_type": "CAUSAL_LM"
            }
            """);
    }

    private static long[] RowMajorStride(long[] shape)
    {
        var stride = new long[shape.Length];
        long step = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            stride[i] = step;
            step *= shape[i];
        }

        return stride;
    }
}
