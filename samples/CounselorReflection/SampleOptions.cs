using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Emorl.Training;

namespace CounselorReflection;

/// <summary>Sizes of a run.</summary>
internal enum Preset
{
    /// <summary>The default: a run on the embedded data in a few minutes, or a longer one on PAIR.</summary>
    Standard,

    /// <summary>The smallest run that still exercises every stage, for smoke tests and CI.</summary>
    Tiny,
}

/// <summary>Command-line settings of the sample, with each preset's defaults.</summary>
internal sealed class SampleOptions
{
    public string? DataPath { get; set; }

    public string? EpitomeFolder { get; set; }

    public string? AnnoMiPath { get; set; }

    /// <summary>A Hugging Face GPT-2 checkpoint directory to use as the base model, or null to train one from scratch.</summary>
    public string? BaseModelDirectory { get; set; }

    public bool UseAnnoMi { get; set; } = true;

    public string OutputDirectory { get; set; } = Path.Combine("runs", "counselor");

    public Preset Preset { get; set; } = Preset.Standard;

    public int Seed { get; set; } = 1;

    public int Layers { get; set; }

    public int Hidden { get; set; }

    public int Heads { get; set; }

    public int WarmupSteps { get; set; }

    public int RlSteps { get; set; }

    public int PromptsPerStep { get; set; }

    public int MaxNewTokens { get; set; }

    public double LearningRate { get; set; }

    public int SearchLevels { get; set; }

    public int ScorerEpochs { get; set; }

    public bool Baselines { get; set; }

    public PolicyAlgorithm Algorithm { get; set; } = PolicyAlgorithm.KScst;

    public int ValidationInterval { get; set; }

    public int BaselineSteps { get; set; }

    /// <summary>Gets or sets the architecture of a base model trained from scratch: gpt2 (default) or t5.</summary>
    public string Architecture { get; set; } = "gpt2";

    // Set by --architecture, even for its default gpt2, which --base-model's config.json would contradict.
    private bool _architectureGiven;

    public static string Usage => """
        Usage: dotnet run --project samples/CounselorReflection -c Release -- [options]
               dotnet run --project samples/CounselorReflection -c Release -- generate [options] [STATEMENT ...]

        Runs EMORL end to end: warm-up of a small base model, three reward models, one LoRA adapter
        per objective trained with RL (k-SCST by default), hierarchical grid search of the aggregation weights, and
        a test-split report. With no --data it uses the statements embedded in the sample.

          --data PATH         PAIR CSV (prompt,hq1,hq2,mq1,lq1..lq5); default: the embedded dataset
          --epitome DIR       EPITOME folder for the empathy scorer; default: DIR/../epitome next to
                              --data when present, otherwise the embedded empathy data
          --annomi PATH       AnnoMI-simple.csv for extra warm-up pairs; default: next to --data when present
          --no-annomi         do not add AnnoMI pairs to the warm-up
          --base-model DIR    Hugging Face GPT-2 or T5 checkpoint to use as the base model with its
                              own tokenizer: config.json, model.safetensors (GPT-2 also
                              pytorch_model.bin), and vocab.json + merges.txt or tokenizer.json
                              (GPT-2), spiece.model (T5), or the vocabulary.json of a base/ folder
                              this sample saved; no warm-up runs unless --warmup-steps is given,
                              and --architecture/--layers/--hidden/--heads do not apply
          --architecture NAME gpt2 (default) or t5: the base model trained from scratch
          --out DIR           output folder for report.md, report.json and checkpoints (default runs/counselor)
          --preset NAME       standard (default) or tiny (seconds; for smoke tests)
          --seed N            seed of the split, initialisation and sampling (default 1)
          --layers N          transformer layers of the base model
          --hidden N          hidden size of the base model (a multiple of --heads)
          --heads N           attention heads
          --warmup-steps N    supervised warm-up steps
          --algorithm NAME    RL algorithm of every adapter: kscst (default, EMORL's), ppo or rloo
          --rl-steps N        RL step budget per objective
          --prompts-per-step N  prompts per RL step (3 samples each for kscst and rloo, 1 for ppo)
          --validation-interval N  steps between validations; training stops early once the last
                              20 validation scores have std/mean below 0.015 (default: 8, or
                              --rl-steps / 4 when that is smaller)
          --max-new-tokens N  longest generated response, in tokens
          --lr X              RL learning rate (default 1e-3)
          --search-levels N   levels of the hierarchical grid search (5 in EMORL)
          --scorer-epochs N   training epochs of the reflection and empathy scorers
          --baselines         also train and test Uniform Weighted, DynaOpt and Model Soups
          --baseline-steps N  step budget of each single-policy baseline (default: 3 × --rl-steps,
                              the total budget of EMORL's three objectives)
          --help              show this text

        The generate command replies to statements with a finished run's saved models and any
        weights, without retraining; run generate --help for its options.
        """;

    /// <summary>Parses arguments, then fills every size not given from the preset.</summary>
    public static SampleOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SampleOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "--no-annomi")
            {
                options.UseAnnoMi = false;
                continue;
            }

            if (name is "--baselines")
            {
                options.Baselines = true;
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"Option {name} needs a value (or is unknown). Run with --help for the list.");
            }

            string value = args[++i];
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"Option {name} is empty; pass a value, or leave the option out for its default.");
            }

            switch (name)
            {
                case "--data": options.DataPath = value; break;
                case "--epitome": options.EpitomeFolder = value; break;
                case "--annomi": options.AnnoMiPath = value; break;
                case "--base-model": options.BaseModelDirectory = value; break;
                case "--out": options.OutputDirectory = value; break;
                case "--preset": options.Preset = ParsePreset(value); break;
                case "--seed": options.Seed = ParseInt(name, value, 0); break;
                case "--layers": options.Layers = ParseInt(name, value, 1); break;
                case "--hidden": options.Hidden = ParseInt(name, value, 8); break;
                case "--heads": options.Heads = ParseInt(name, value, 1); break;
                case "--warmup-steps": options.WarmupSteps = ParseInt(name, value, 1); break;
                case "--rl-steps": options.RlSteps = ParseInt(name, value, 1); break;
                case "--prompts-per-step": options.PromptsPerStep = ParseInt(name, value, 1); break;
                case "--max-new-tokens": options.MaxNewTokens = ParseInt(name, value, 1); break;
                case "--lr": options.LearningRate = ParseDouble(name, value); break;
                case "--search-levels": options.SearchLevels = ParseInt(name, value, 1, 20); break;
                case "--scorer-epochs": options.ScorerEpochs = ParseInt(name, value, 1); break;
                case "--baseline-steps": options.BaselineSteps = ParseInt(name, value, 1); break;
                case "--algorithm": options.Algorithm = ParseAlgorithm(value); break;
                case "--validation-interval": options.ValidationInterval = ParseInt(name, value, 1); break;
                case "--architecture":
                    options.Architecture = ParseArchitecture(value);
                    options._architectureGiven = true;
                    break;
                default: throw new ArgumentException($"Unknown option {name}. Run with --help for the list.");
            }
        }

        options.ApplyPreset();
        return options;
    }

    private void ApplyPreset()
    {
        if (BaseModelDirectory is not null && (Layers > 0 || Hidden > 0 || Heads > 0 || _architectureGiven))
        {
            throw new ArgumentException(
                "--architecture, --layers, --hidden and --heads describe a model trained from scratch; with --base-model the " +
                "checkpoint's config.json sets them. Drop those options or drop --base-model.");
        }

        // A user's checkpoint is already a language model, so the warm-up sized for a model trained
        // from scratch is skipped unless --warmup-steps requests it.
        bool skipWarmup = BaseModelDirectory is not null && WarmupSteps == 0;

        // Sizes not given on the command line: tiny, the embedded data, or a dataset from --data.
        var sizes = DatasetSizes;
        if (Preset == Preset.Tiny)
        {
            sizes = TinySizes;
        }
        else if (DataPath is null)
        {
            sizes = EmbeddedSizes;
        }

        Layers = Or(Layers, sizes.Layers);
        Hidden = Or(Hidden, sizes.Hidden);
        Heads = Or(Heads, sizes.Heads);
        WarmupSteps = skipWarmup ? 0 : Or(WarmupSteps, sizes.WarmupSteps);
        RlSteps = Or(RlSteps, sizes.RlSteps);
        PromptsPerStep = Or(PromptsPerStep, sizes.PromptsPerStep);
        MaxNewTokens = Or(MaxNewTokens, sizes.MaxNewTokens);
        SearchLevels = Or(SearchLevels, sizes.SearchLevels);
        ScorerEpochs = Or(ScorerEpochs, sizes.ScorerEpochs);
        BaselineSteps = Or(BaselineSteps, 3 * RlSteps);
        ValidationInterval = Or(ValidationInterval, Math.Max(1, Math.Min(8, RlSteps / 4)));
        if (LearningRate == 0)
        {
            LearningRate = 1e-3;
        }

        if (Hidden % Heads != 0)
        {
            throw new ArgumentException($"--hidden {Hidden} is not a multiple of --heads {Heads}; pick sizes that divide.");
        }

        CheckPaths();
    }

    /// <summary>Creates the RL settings of one adapter: the chosen algorithm's defaults with this run's sizes.</summary>
    /// <param name="maxSteps">The adapter's step budget.</param>
    /// <param name="seed">The adapter's seed.</param>
    public PolicyTrainerOptions CreateTrainerOptions(int maxSteps, long seed)
    {
        var options = Algorithm switch
        {
            PolicyAlgorithm.Ppo => PolicyTrainerOptions.CreatePpo(),
            PolicyAlgorithm.Rloo => PolicyTrainerOptions.CreateRloo(),
            _ => new PolicyTrainerOptions(),
        };
        options.MaxSteps = maxSteps;
        options.PromptsPerStep = PromptsPerStep;
        options.LearningRate = LearningRate;
        options.Seed = seed;
        options.Sampling = new Emorl.Models.GenerationOptions { MaxNewTokens = MaxNewTokens };
        options.ValidationInterval = ValidationInterval;
        return options;
    }

    /// <summary>Checks every path option before any training starts, so a typo costs no time.</summary>
    private void CheckPaths()
    {
        if (DataPath is not null && !File.Exists(DataPath))
        {
            throw new ArgumentException(Directory.Exists(DataPath)
                ? $"--data '{DataPath}' is a folder; pass the PAIR CSV file inside it (pair_data.csv)."
                : $"--data '{DataPath}' was not found; pass the path of a PAIR CSV file (columns prompt,hq1,hq2,mq1,lq1..lq5).");
        }

        if (EpitomeFolder is not null && !File.Exists(Path.Combine(EpitomeFolder, "emotional-reactions-reddit.csv")))
        {
            throw new ArgumentException(Directory.Exists(EpitomeFolder)
                ? $"--epitome '{EpitomeFolder}' holds no emotional-reactions-reddit.csv; pass the folder with EPITOME's three *-reddit.csv files."
                : $"--epitome folder '{EpitomeFolder}' was not found; pass the folder with EPITOME's three *-reddit.csv files.");
        }

        if (AnnoMiPath is not null && !File.Exists(AnnoMiPath))
        {
            throw new ArgumentException($"--annomi '{AnnoMiPath}' was not found; pass AnnoMI-simple.csv or use --no-annomi.");
        }

        if (BaseModelDirectory is not null && !File.Exists(Path.Combine(BaseModelDirectory, "config.json")))
        {
            throw new ArgumentException(DescribeMissingBaseModel(BaseModelDirectory));
        }

        if (File.Exists(OutputDirectory))
        {
            throw new ArgumentException($"--out '{OutputDirectory}' is an existing file; pass a folder path for the run's output.");
        }
    }

    private static string DescribeMissingBaseModel(string path)
    {
        if (File.Exists(path))
        {
            return $"--base-model '{path}' is a file; pass the checkpoint folder that holds config.json and the weights"
                + $" ('{Path.GetDirectoryName(Path.GetFullPath(path))}' if the file is one of them).";
        }

        if (File.Exists(Path.Combine(path, "adapter_config.json")))
        {
            return $"--base-model '{path}' holds a LoRA adapter (adapter_config.json), not a base model; pass the folder of the"
                + " model it was trained on, such as a run's base/ folder.";
        }

        return Directory.Exists(path)
            ? $"--base-model '{path}' holds no config.json; pass a Hugging Face GPT-2 or T5 checkpoint directory."
            : $"--base-model folder '{path}' was not found; pass a Hugging Face GPT-2 or T5 checkpoint directory.";
    }

    private static readonly PresetSizes TinySizes = new(1, 48, 2, 40, 4, 4, 12, 2, 2);
    private static readonly PresetSizes EmbeddedSizes = new(2, 96, 4, 300, 24, 8, 32, 5, 10);
    private static readonly PresetSizes DatasetSizes = new(4, 128, 4, 1500, 160, 16, 48, 5, 12);

    private static int Or(int value, int fallback) => value > 0 ? value : fallback;

    private static string ParseArchitecture(string value) => value.ToLowerInvariant() switch
    {
        "gpt2" or "t5" => value.ToLowerInvariant(),
        _ => throw new ArgumentException($"--architecture '{value}' is not known; pass gpt2 or t5."),
    };

    private static PolicyAlgorithm ParseAlgorithm(string value) => value switch
    {
        "kscst" => PolicyAlgorithm.KScst,
        "ppo" => PolicyAlgorithm.Ppo,
        "rloo" => PolicyAlgorithm.Rloo,
        _ => throw new ArgumentException($"Unknown algorithm '{value}'; use kscst, ppo or rloo."),
    };

    private static Preset ParsePreset(string value) => value switch
    {
        "standard" => Preset.Standard,
        "tiny" => Preset.Tiny,
        _ => throw new ArgumentException($"Unknown preset '{value}'; use standard or tiny."),
    };

    private static int ParseInt(string name, string value, int minimum, int maximum = int.MaxValue)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) || parsed < minimum || parsed > maximum)
        {
            throw new ArgumentException(maximum == int.MaxValue
                ? $"{name} is '{value}'; it must be a whole number ≥ {minimum}."
                : $"{name} is '{value}'; it must be a whole number from {minimum} to {maximum}.");
        }

        return parsed;
    }

    private static double ParseDouble(string name, string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) || !(parsed > 0) || double.IsInfinity(parsed))
        {
            throw new ArgumentException($"{name} is '{value}'; it must be a positive number such as 1e-3.");
        }

        return parsed;
    }
}

/// <summary>The sizes a preset fills in for options not given on the command line.</summary>
internal sealed record PresetSizes(
    int Layers, int Hidden, int Heads, int WarmupSteps, int RlSteps, int PromptsPerStep, int MaxNewTokens, int SearchLevels, int ScorerEpochs);
