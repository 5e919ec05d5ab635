using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Checkpoints;
using Emorl.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Emorl.Tests.Checkpoints;

[Collection("Torch")]
public sealed class Gpt2CheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emorl-checkpoint-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void SavedModelLoadsWithIdenticalOutputs()
    {
        using var model = TinyModels.Create(5);

        Gpt2Checkpoint.SaveModel(model, _directory);
        using var loaded = Gpt2Checkpoint.LoadModel(_directory);

        Assert.Equal(model.Options.HiddenSize, loaded.Options.HiddenSize);
        Assert.Equal(model.Options.LayerCount, loaded.Options.LayerCount);
        using var expected = Hidden(model, null);
        using var actual = Hidden(loaded, null);
        Assert.True(expected.allclose(actual, rtol: 0, atol: 0));
    }

    [Fact]
    public void CheckpointsLogSizeAndFolder()
    {
        var logs = new LogCapture();
        var logger = logs.CreateLogger(typeof(Gpt2Checkpoint).FullName!);
        using var model = TinyModels.Create(5);
        using var adapter = TinyModels.PerturbedAdapter(model, 9);
        string adapterDirectory = Path.Combine(_directory, "adapter");
        long bytes = 0;

        Gpt2Checkpoint.SaveModel(model, _directory, logger);
        bytes = new FileInfo(Path.Combine(_directory, Gpt2Checkpoint.ModelFileName)).Length;
        using var loaded = Gpt2Checkpoint.LoadModel(_directory, logger);
        Gpt2Checkpoint.SaveAdapter(adapter, adapterDirectory, logger: logger);
        using var loadedAdapter = Gpt2Checkpoint.LoadAdapter(adapterDirectory, model, logger);

        // The manifest checks log at Debug; the saves and loads at Information.
        var information = logs.Entries.Where(e => e.Level == LogLevel.Information).ToList();
        Assert.Equal(["ModelSaved", "ModelLoaded", "AdapterSaved", "AdapterLoaded"], information.Select(e => e.EventId.Name));
        Assert.All(logs.Entries.Except(information), e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.Contains(_directory, information[0].Message, StringComparison.Ordinal);
        Assert.Contains($"({bytes} bytes)", information[0].Message, StringComparison.Ordinal);
        Assert.Contains("rank 4", information[2].Message, StringComparison.Ordinal);
        Assert.Contains(adapterDirectory, information[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CanceledSaveKeepsThePreviousWeightsFile()
    {
        using var model = TinyModels.Create(5);
        using var other = TinyModels.Create(6);
        Gpt2Checkpoint.SaveModel(model, _directory);
        string path = Path.Combine(_directory, Gpt2Checkpoint.ModelFileName);
        byte[] before = File.ReadAllBytes(path);

        Assert.ThrowsAny<OperationCanceledException>(
            () => Gpt2Checkpoint.SaveModel(other, _directory, cancellationToken: new CancellationToken(canceled: true)));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory, "*.safetensors*"));
    }

    [Fact]
    public void CanceledLoadThrows()
    {
        using var model = TinyModels.Create(5);
        Gpt2Checkpoint.SaveModel(model, _directory);

        Assert.ThrowsAny<OperationCanceledException>(
            () => Gpt2Checkpoint.LoadModel(_directory, cancellationToken: new CancellationToken(canceled: true)));
    }

    [Fact]
    public void SavedAdapterLoadsWithIdenticalOutputs()
    {
        using var model = TinyModels.Create(5);
        using var adapter = TinyModels.PerturbedAdapter(model, 9);
        string adapterDirectory = Path.Combine(_directory, "adapter");

        Gpt2Checkpoint.SaveAdapter(adapter, adapterDirectory);
        using var loaded = Gpt2Checkpoint.LoadAdapter(adapterDirectory, model);

        Assert.Equal(adapter.Options.Rank, loaded.Options.Rank);
        Assert.Equal(adapter.Options.Alpha, loaded.Options.Alpha);
        using var expected = Hidden(model, adapter);
        using var actual = Hidden(model, loaded);
        Assert.True(expected.allclose(actual, rtol: 0, atol: 0));
    }

    [Fact]
    public void AdapterFileUsesPeftKeyNames()
    {
        using var model = TinyModels.Create(5);
        using var adapter = LoraAdapter.Create(model, new LoraOptions(), 1);

        Gpt2Checkpoint.SaveAdapter(adapter, _directory);
        var tensors = SafetensorsFile.Read(Path.Combine(_directory, Gpt2Checkpoint.AdapterFileName));

        Assert.Contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", tensors.Keys);
        Assert.Equal(new long[] { 8, 32 }, tensors["base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"].shape);
        Assert.Equal(new long[] { 96, 8 }, tensors["base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"].shape);
        DisposeAll(tensors);
    }

    [Fact]
    public void AdapterForAnotherModelShapeIsRejected()
    {
        using var small = TinyModels.Create(5);
        var wideOptions = TinyModels.Options();
        wideOptions.HiddenSize = 64;
        using var wide = new Gpt2Model(wideOptions, 5);
        using var adapter = LoraAdapter.Create(small, new LoraOptions(), 1);
        Gpt2Checkpoint.SaveAdapter(adapter, _directory);

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadAdapter(_directory, wide));

        Assert.Contains("h.0.attn.c_attn", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingWeightIsNamedInTheError()
    {
        using var model = TinyModels.Create(5);
        Gpt2Checkpoint.SaveModel(model, _directory);
        string path = Path.Combine(_directory, Gpt2Checkpoint.ModelFileName);
        var tensors = SafetensorsFile.Read(path);
        tensors.Remove("transformer.h.1.mlp.c_fc.bias", out var removed);
        removed?.Dispose();
        SafetensorsFile.Write(path, tensors.Select(t => (t.Key, t.Value)));
        DisposeAll(tensors);
        // Without its manifest the edited directory is like one from elsewhere, so the key check runs.
        File.Delete(Path.Combine(_directory, CheckpointManifest.DirectoryManifestFileName));

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(_directory));

        Assert.Contains("h.1.mlp.c_fc.bias", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedWeightsFileIsRejected()
    {
        using var model = TinyModels.Create(5);
        Gpt2Checkpoint.SaveModel(model, _directory);
        string path = Path.Combine(_directory, Gpt2Checkpoint.ModelFileName);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(_directory));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonFiniteWeightsAreRejectedOnLoad()
    {
        using var model = TinyModels.Create(5);
        using var adapter = TinyModels.PerturbedAdapter(model, 9);
        using (no_grad())
        {
            model.parameters().First().fill_(double.NaN);
            adapter.NamedFactors().First().Value.fill_(double.PositiveInfinity);
        }

        string adapterDirectory = Path.Combine(_directory, "adapter");
        Gpt2Checkpoint.SaveModel(model, _directory);
        Gpt2Checkpoint.SaveAdapter(adapter, adapterDirectory);
        using var healthy = TinyModels.Create(5);

        var modelError = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(_directory));
        var adapterError = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadAdapter(adapterDirectory, healthy));

        Assert.Contains("NaN or infinite values", modelError.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_directory, Gpt2Checkpoint.ModelFileName), modelError.Message, StringComparison.Ordinal);
        Assert.Contains("NaN or infinite values", adapterError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryThatIsAFileIsNamed()
    {
        Directory.CreateDirectory(_directory);
        string file = Path.Combine(_directory, "not-a-folder");
        File.WriteAllText(file, "keep me");
        using var model = TinyModels.Create(5);

        var asTarget = Assert.Throws<IOException>(() => Gpt2Checkpoint.SaveModel(model, file));
        var asParent = Assert.Throws<IOException>(() => Gpt2Checkpoint.SaveModel(model, Path.Combine(file, "model")));

        Assert.Contains($"The checkpoint directory '{file}' is a file", asTarget.Message, StringComparison.Ordinal);
        Assert.Contains($"lies under '{file}', which is a file", asParent.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void MissingConfigurationIsReported()
    {
        Directory.CreateDirectory(_directory);

        var error = Assert.Throws<FileNotFoundException>(() => Gpt2Checkpoint.LoadModel(_directory));

        Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Tensor Hidden(Gpt2Model model, LoraAdapter? adapter)
    {
        using var tokens = tensor(new long[] { 4, 8, 15, 16, 23, 42 }, [1, 6]);
        using var positions = arange(6L).unsqueeze(0);
        using var mask = ones([1, 6], ScalarType.Bool);
        using var noGrad = no_grad();
        return model.ForwardHidden(tokens, positions, mask, null, adapter);
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var value in tensors.Values)
        {
            value.Dispose();
        }
    }
}
