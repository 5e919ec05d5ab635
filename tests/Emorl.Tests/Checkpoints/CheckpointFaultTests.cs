using System;
using System.IO;
using System.Linq;
using System.Threading;
using Emorl.Checkpoints;
using Emorl.FaultInjection;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Tokenization;
using Emorl.Training;
using static TorchSharp.torch;

namespace Emorl.Tests.Checkpoints;

/// <summary>
/// Kills a child process with SIGKILL while it saves or trains, then checks that what is on disk
/// still loads and passes its manifest.
/// </summary>
[Collection("Torch")]
public sealed class CheckpointFaultTests : IDisposable
{
    private const int Trials = 3;
    private static readonly string s_program = typeof(Scenarios).Assembly.Location;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"emorl-faults-{Guid.NewGuid():N}");

    public CheckpointFaultTests()
    {
        Directory.CreateDirectory(_root);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void KilledModelSavesLeaveLoadableModel()
    {
        string directory = Path.Combine(_root, "base");
        for (int trial = 0; trial < Trials; trial++)
        {
            int last = SaveUntilKilled("save-model", directory, trial);

            Assert.True(CheckpointManifest.VerifyDirectory(directory), $"trial {trial}: the manifest is missing");
            using var model = Gpt2Checkpoint.LoadModel(directory);
            float version = model.parameters().First().flatten()[0].item<float>();
            AssertVersion(trial, last, version);
            foreach (var (name, parameter) in model.named_parameters())
            {
                Assert.True(parameter.eq(version).all().item<bool>(), $"trial {trial}: {name} is not all {version}");
            }
        }
    }

    [Fact]
    public void KilledTrainerCheckpointSavesLeaveLoadableCheckpoint()
    {
        string path = Path.Combine(_root, "trainer.safetensors");
        for (int trial = 0; trial < Trials; trial++)
        {
            int last = SaveUntilKilled("save-checkpoint", path, trial);

            Assert.True(CheckpointManifest.VerifyFile(path), $"trial {trial}: the manifest is missing");
            using var model = TinyModels.Create();
            using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 99);
            var policy = new LoraObjectiveModel("vowels", model, adapter, ownsAdapter: false);
            using var trainer = new PolicyTrainer(policy, new VowelReward(), Scenarios.Template(), Scenarios.TrainerOptions(path, 1));
            trainer.LoadCheckpoint(path);
            float version = adapter.NamedFactors().First().Value.flatten()[0].item<float>();
            AssertVersion(trial, last, version);
            foreach (var (name, value) in adapter.NamedFactors())
            {
                Assert.True(value.eq(version).all().item<bool>(), $"trial {trial}: {name} is not all {version}");
            }
        }
    }

    [Fact]
    public void KilledVocabularySavesLeaveLoadableVocabulary()
    {
        string path = Path.Combine(_root, "vocabulary.json");
        var gpt2 = new Gpt2Tokenizer();
        for (int trial = 0; trial < Trials; trial++)
        {
            int last = SaveUntilKilled("save-vocabulary", path, trial);

            Assert.True(CheckpointManifest.VerifyFile(path), $"trial {trial}: the manifest is missing");
            var loaded = CompactVocabularyTokenizer.Load(path, gpt2);
            int[] candidates = [last, last + 1];
            int matches = candidates.Count(v =>
                CompactVocabularyTokenizer.FromCorpus(gpt2, Scenarios.VocabularyCorpus(v)).Gpt2Ids.SequenceEqual(loaded.Gpt2Ids));
            Assert.True(matches > 0, $"trial {trial}: the loaded vocabulary is neither version {last} nor {last + 1}");
        }
    }

    [Fact]
    public void KilledTrainingResumesToSameAdapter()
    {
        const int Steps = 6;
        string uninterruptedAdapter = Path.Combine(_root, "uninterrupted");
        string resumedAdapter = Path.Combine(_root, "resumed");
        string resumedCheckpoint = Path.Combine(_root, "resumed.safetensors");
        using (var uninterrupted = ChildProcess.Start(s_program, "train", Path.Combine(_root, "uninterrupted.safetensors"), $"{Steps}", uninterruptedAdapter))
        {
            uninterrupted.WaitForSuccess();
        }

        using (var killed = ChildProcess.Start(s_program, "train", resumedCheckpoint, $"{Steps}", resumedAdapter))
        {
            killed.WaitForLine(line => line == "step 3");
            Thread.Sleep(15);
            killed.Kill();
            Assert.DoesNotContain("done", killed.Lines);
        }

        using (var resumed = ChildProcess.Start(s_program, "train", resumedCheckpoint, $"{Steps}", resumedAdapter))
        {
            resumed.WaitForSuccess();
            Assert.Contains(resumed.Lines, line => line is "resumed 3" or "resumed 4");
        }

        var expected = SafetensorsFile.Read(Path.Combine(uninterruptedAdapter, Gpt2Checkpoint.AdapterFileName));
        var actual = SafetensorsFile.Read(Path.Combine(resumedAdapter, Gpt2Checkpoint.AdapterFileName));
        try
        {
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, value) in expected)
            {
                Assert.True(value.eq(actual[name]).all().item<bool>(), $"adapter factor {name} differs after the kill and resume");
            }
        }
        finally
        {
            foreach (var tensor in expected.Values.Concat(actual.Values))
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Starts a save loop, kills it after a trial-dependent number of saves and delay, and returns the last save it reported.</summary>
    private static int SaveUntilKilled(string scenario, string path, int trial)
    {
        using var child = ChildProcess.Start(s_program, scenario, path);
        child.WaitForLine(line => line == $"saved {1 + trial}");
        Thread.Sleep(new Random(trial).Next(0, 20));
        child.Kill();
        return child.Lines.Where(l => l.StartsWith("saved ", StringComparison.Ordinal)).Select(l => int.Parse(l[6..], System.Globalization.CultureInfo.InvariantCulture)).Max();
    }

    private static void AssertVersion(int trial, int last, float version) =>
        Assert.True(version == last || version == last + 1, $"trial {trial}: loaded version {version}, but the last reported save was {last}");
}
