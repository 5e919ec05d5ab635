using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Emorl.Checkpoints;
using Emorl.Generation;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Tests;
using Emorl.Tokenization;
using Emorl.Training;
using static TorchSharp.torch;

namespace Emorl.FaultInjection;

/// <summary>The scenarios that the fault-injection tests run in a child process and kill.</summary>
public static class Scenarios
{
    public const string Usage = """
        Usage: Emorl.FaultInjection save-model DIR
               Emorl.FaultInjection save-checkpoint FILE
               Emorl.FaultInjection save-vocabulary FILE
               Emorl.FaultInjection train CHECKPOINT MAX_STEPS ADAPTER_DIR

        The save-* scenarios save version 1, 2, 3, ... of a checkpoint until killed and print
        "saved N" after each save returns. train runs k-SCST on a tiny model with a checkpoint after
        every step, resuming from CHECKPOINT when it exists, prints "step N" after each step and saves
        the adapter to ADAPTER_DIR at the end.
        """;

    /// <summary>The training statements of the train scenario.</summary>
    public static readonly string[] Statements =
    [
        "I feel tired all the time",
        "my boss shouts at me",
        "I cannot sleep at night",
        "I drink too much on weekends",
    ];

    /// <summary>The model of the save-model scenario: large enough that a save takes several milliseconds.</summary>
    public static Gpt2Options SaveModelOptions() => new()
    {
        VocabularySize = TinyModels.Vocabulary,
        ContextLength = 64,
        LayerCount = 2,
        HiddenSize = 128,
        HeadCount = 4,
        Dropout = 0.0,
    };

    /// <summary>The corpus whose compact vocabulary is version <paramref name="version"/>.</summary>
    public static string[] VocabularyCorpus(int version) =>
        Enumerable.Range(1, version).Select(i => $"sample {i} of {version * 7}").ToArray();

    /// <summary>The trainer options of the save-checkpoint and train scenarios.</summary>
    public static PolicyTrainerOptions TrainerOptions(string checkpoint, int maxSteps) => new()
    {
        Algorithm = PolicyAlgorithm.KScst,
        PromptsPerStep = 4,
        SamplesPerPrompt = 2,
        LearningRate = 3e-3,
        Seed = 3,
        MaxSteps = maxSteps,
        ValidationInterval = 2,
        CheckpointPath = checkpoint,
        CheckpointInterval = 1,
        Sampling = new GenerationOptions { MaxNewTokens = 10 },
    };

    public static PromptTemplate Template() =>
        new(new CharacterTokenizer(), maxPromptTokens: 48, prefix: "Client: ", suffix: "\nCounselor:");

    public static void SaveModelForever(string directory)
    {
        using var model = new Gpt2Model(SaveModelOptions(), seed: 1);
        for (int version = 1; ; version++)
        {
            using (no_grad())
            {
                foreach (var parameter in model.parameters())
                {
                    parameter.fill_(version);
                }
            }

            Gpt2Checkpoint.SaveModel(model, directory);
            Report($"saved {version}");
        }
    }

    public static void SaveCheckpointForever(string path)
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var policy = new LoraObjectiveModel("vowels", model, adapter, ownsAdapter: false);
        using var trainer = new PolicyTrainer(policy, new VowelReward(), Template(), TrainerOptions(path, 1));
        for (int version = 1; ; version++)
        {
            using (no_grad())
            {
                foreach (var (_, value) in adapter.NamedFactors())
                {
                    value.fill_(version);
                }
            }

            trainer.SaveCheckpoint(path);
            Report($"saved {version}");
        }
    }

    public static void SaveVocabularyForever(string path)
    {
        var gpt2 = new Gpt2Tokenizer();
        for (int version = 1; ; version++)
        {
            CompactVocabularyTokenizer.FromCorpus(gpt2, VocabularyCorpus(version)).Save(path);
            Report($"saved {version}");
        }
    }

    public static void Train(string checkpoint, int maxSteps, string adapterDirectory)
    {
        using var model = TinyModels.Create();
        using var adapter = LoraAdapter.Create(model, new LoraOptions { Rank = 4, Alpha = 8 }, 5);
        var policy = new LoraObjectiveModel("vowels", model, adapter, ownsAdapter: false);
        using var trainer = new PolicyTrainer(policy, new VowelReward(), Template(), TrainerOptions(checkpoint, maxSteps));
        if (File.Exists(checkpoint))
        {
            trainer.LoadCheckpoint(checkpoint);
            Report($"resumed {trainer.StepsTaken}");
        }

        trainer.Train(Statements, Statements, new StepReporter());
        Gpt2Checkpoint.SaveAdapter(adapter, adapterDirectory);
        Report("done");
    }

    private static void Report(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    /// <summary>Prints each finished step on the training thread, before the next step starts.</summary>
    private sealed class StepReporter : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => Scenarios.Report($"step {value.Step}");
    }
}
