using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using Emorl.Checkpoints;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Tokenization;
using Emorl.Training;
using Microsoft.Extensions.Logging;

namespace Emorl.Tests.Checkpoints;

[Collection("Torch")]
public sealed class CheckpointManifestTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"emorl-manifest-{Guid.NewGuid():N}");

    public CheckpointManifestTests()
    {
        Directory.CreateDirectory(_root);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void SaveModelListsEachFileWithSizeAndHash()
    {
        string directory = Path.Combine(_root, "base");
        using var model = TinyModels.Create();

        Gpt2Checkpoint.SaveModel(model, directory);

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, CheckpointManifest.DirectoryManifestFileName)));
        Assert.Equal("emorl-checkpoint-manifest", manifest.RootElement.GetProperty("format").GetString());
        Assert.Equal(1, manifest.RootElement.GetProperty("formatVersion").GetInt32());
        var files = manifest.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal([Gpt2Checkpoint.ConfigFileName, Gpt2Checkpoint.ModelFileName], files.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, entry) in files)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(directory, name));
            Assert.Equal(bytes.LongLength, entry.GetProperty("size").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), entry.GetProperty("sha256").GetString());
        }
    }

    [Fact]
    public void TruncatedModelFileIsRejectedWithSizesAndHashes()
    {
        string directory = Path.Combine(_root, "base");
        using var model = TinyModels.Create();
        Gpt2Checkpoint.SaveModel(model, directory);
        string weights = Path.Combine(directory, Gpt2Checkpoint.ModelFileName);
        long size = new FileInfo(weights).Length;
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weights)));
        using (var stream = new FileStream(weights, FileMode.Open))
        {
            stream.SetLength(size - 100);
        }

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadModel(directory));

        Assert.Contains(weights, error.Message, StringComparison.Ordinal);
        Assert.Contains($"expected {size} bytes with SHA-256 {hash}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"found {size - 100} bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("save the checkpoint again", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AlteredAdapterByteIsRejected()
    {
        string directory = Path.Combine(_root, "adapter");
        using var model = TinyModels.Create();
        using var adapter = TinyModels.PerturbedAdapter(model, 3);
        Gpt2Checkpoint.SaveAdapter(adapter, directory);
        string weights = Path.Combine(directory, Gpt2Checkpoint.AdapterFileName);
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadAdapter(directory, model));

        Assert.Contains(weights, error.Message, StringComparison.Ordinal);
        Assert.Contains($"found {bytes.Length} bytes with SHA-256 {Convert.ToHexStringLower(SHA256.HashData(bytes))}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryWithoutManifestLoadsAndLogsSkip()
    {
        string directory = Path.Combine(_root, "hub");
        using var model = TinyModels.Create();
        Gpt2Checkpoint.SaveModel(model, directory);
        File.Delete(Path.Combine(directory, CheckpointManifest.DirectoryManifestFileName));
        var logger = new ListLogger();

        using var loaded = Gpt2Checkpoint.LoadModel(directory, logger);

        Assert.Equal(model.parameters().Count(), loaded.parameters().Count());
        var entry = Assert.Single(logger.Entries, e => e.Level == LogLevel.Debug);
        Assert.Contains("integrity check is skipped", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveModelKeepsOtherFilesOfTheDirectory()
    {
        string directory = Path.Combine(_root, "base");
        var gpt2 = new Gpt2Tokenizer();
        var tokenizer = CompactVocabularyTokenizer.FromCorpus(gpt2, ["I feel tired all the time."]);
        Directory.CreateDirectory(directory);
        string vocabulary = Path.Combine(directory, "vocabulary.json");
        tokenizer.Save(vocabulary);
        using var model = TinyModels.Create();

        Gpt2Checkpoint.SaveModel(model, directory);
        Gpt2Checkpoint.SaveModel(model, directory);

        Assert.True(CheckpointManifest.VerifyFile(vocabulary));
        Assert.Equal(tokenizer.Gpt2Ids, CompactVocabularyTokenizer.Load(vocabulary, gpt2).Gpt2Ids);
        Assert.True(CheckpointManifest.VerifyDirectory(directory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root, ".base.*"));
    }

    [Fact]
    public void TamperedTrainerCheckpointIsRejected()
    {
        string path = Path.Combine(_root, "trainer.safetensors");
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var options = new PolicyTrainerOptions { PromptsPerStep = 2, SamplesPerPrompt = 2, Seed = 3 };
        using var trainer = new PolicyTrainer(new LoraObjectiveModel("vowels", model, adapter, false), new VowelReward(), Template(), options);
        trainer.SaveCheckpoint(path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoint(path));

        Assert.True(File.Exists(path + CheckpointManifest.FileManifestSuffix));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not match manifest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TamperedVocabularyIsRejected()
    {
        string path = Path.Combine(_root, "vocabulary.json");
        var gpt2 = new Gpt2Tokenizer();
        CompactVocabularyTokenizer.FromCorpus(gpt2, ["I cannot sleep at night."]).Save(path);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"gpt2Ids\": [", "\"gpt2Ids\": [13, ", StringComparison.Ordinal));

        var error = Assert.Throws<InvalidDataException>(() => CompactVocabularyTokenizer.Load(path, gpt2));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not match manifest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileReplacedBeforeManifestUpdateStillVerifies()
    {
        string path = Path.Combine(_root, "state.bin");
        CheckpointFile.Write(path, stream => stream.Write([1, 2, 3]));
        var old = CheckpointManifest.Measure(path, "state.bin");
        File.WriteAllBytes(Path.Combine(_root, "next.bin"), [4, 5, 6, 7]);
        var next = CheckpointManifest.Measure(Path.Combine(_root, "next.bin"), "state.bin");

        // The state a save leaves when killed after its first manifest update: old file, both entries listed.
        CheckpointManifest.Write(path + CheckpointManifest.FileManifestSuffix, [next], [old]);
        bool oldVerified = CheckpointManifest.VerifyFile(path);
        // The state after the rename: new file, both entries still listed.
        File.Move(Path.Combine(_root, "next.bin"), path, overwrite: true);
        bool newVerified = CheckpointManifest.VerifyFile(path);

        Assert.True(oldVerified);
        Assert.True(newVerified);
    }

    [Fact]
    public void ManifestThatNamesPathOutsideDirectoryIsRejected()
    {
        string directory = Path.Combine(_root, "evil");
        Directory.CreateDirectory(directory);
        string hash = new('0', 64);
        File.WriteAllText(
            Path.Combine(directory, CheckpointManifest.DirectoryManifestFileName),
            $$"""{"format":"emorl-checkpoint-manifest","formatVersion":1,"files":[{"name":"../secret","size":1,"sha256":"{{hash}}"}]}""");

        var error = Assert.Throws<InvalidDataException>(() => CheckpointManifest.VerifyDirectory(directory));

        Assert.Contains("not a plain file name", error.Message, StringComparison.Ordinal);
    }

    private static PromptTemplate Template() => new(new CharacterTokenizer(), maxPromptTokens: 48, prefix: "Client: ", suffix: "\nCounselor:");

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
