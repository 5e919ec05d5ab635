using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using Emorl.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Training;

/// <summary>Checkpoint and resume of <see cref="PolicyTrainer"/>.</summary>
public sealed partial class PolicyTrainer
{
    private const string StateKey = "emorl.policy_trainer_state";
    private const string AdapterPrefix = "adapter.";
    private const string ValueHeadPrefix = "value_head.";
    private const string OptimizerPrefix = "optimizer.";

    private static readonly JsonSerializerOptions s_json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>
    /// Writes everything a resumed run needs into one safetensors file: the adapter, the value
    /// head, AdamW's moments and step counts, β, the reward-normaliser statistics, DynaOpt's
    /// bandits, the random generator's state, the prompt order, the step and validation history.
    /// </summary>
    /// <param name="path">
    /// The file to create or replace. It is written to a temporary sibling and renamed, and a
    /// <c>PATH.emorl-manifest.json</c> sibling records its size and SHA-256 hash (see
    /// <see cref="CheckpointManifest"/>), so a crash at any point leaves a loadable checkpoint.
    /// </param>
    public void SaveCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var states = OptimizerStates();
        var tensors = new List<(string Name, Tensor Value)>();
        tensors.AddRange(_adapter.NamedFactors().Select(f => (AdapterPrefix + f.Name, f.Value)));
        if (_valueHead is not null)
        {
            tensors.AddRange(_valueHead.named_parameters().Select(p => (ValueHeadPrefix + p.name, (Tensor)p.parameter)));
        }

        for (int i = 0; i < states.Count; i++)
        {
            tensors.Add(($"{OptimizerPrefix}{i}.exp_avg", states[i].exp_avg));
            tensors.Add(($"{OptimizerPrefix}{i}.exp_avg_sq", states[i].exp_avg_sq));
        }

        var state = new PolicyTrainerState
        {
            Algorithm = _options.Algorithm,
            Objectives = Objectives,
            Step = _step,
            DataPoints = _dataPoints,
            OptimizerSteps = _optimizerSteps,
            OptimizerParameterSteps = states.Select(s => s.step).ToArray(),
            RandomState = _random.State,
            KlCoefficient = _kl.Coefficient,
            RewardMoments = _normalizer?.State,
            DynaOpt = _dynaOpt?.Save(),
            TrainCount = _trainCount,
            PendingOrder = _order.ToArray(),
            ValidationScores = _validationScores.ToArray(),
            ValidationObjectiveScores = _validationObjectiveScores.ToArray(),
            Converged = _converged,
            Seconds = _seconds,
        };
        CheckpointFile.Write(path, SafetensorsFile.Serialize(tensors, new Dictionary<string, string>
        {
            ["format"] = "pt",
            [StateKey] = JsonSerializer.Serialize(state, s_json),
        }));
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; the next <see cref="Train"/> continues from it.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a trainer checkpoint, or it was written for another algorithm, objectives or model shape.</exception>
    public void LoadCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' was not found.", path);
        }

        CheckpointManifest.VerifyFile(path, _logger);

        var state = ReadState(path);
        var tensors = SafetensorsFile.Read(path);
        try
        {
            var targets = CheckpointTargets();
            CheckTensors(path, targets, tensors);
            using (no_grad())
            {
                foreach (var (name, target) in targets)
                {
                    target.copy_(tensors[name]);
                }
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }

        ApplyState(state);
    }

    private PolicyTrainerState ReadState(string path)
    {
        var metadata = SafetensorsFile.ReadMetadata(path);
        if (!metadata.TryGetValue(StateKey, out var json))
        {
            throw new InvalidDataException($"'{path}' has no {StateKey} metadata; it is not a PolicyTrainer checkpoint.");
        }

        var state = JsonSerializer.Deserialize<PolicyTrainerState>(json, s_json)
            ?? throw new InvalidDataException($"'{path}' has empty trainer state; write the checkpoint again.");
        if (state.FormatVersion != PolicyTrainerState.CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"'{path}' has checkpoint format {state.FormatVersion}; this library reads format {PolicyTrainerState.CurrentFormatVersion}.");
        }

        if (state.Algorithm != _options.Algorithm || !state.Objectives.SequenceEqual(Objectives, StringComparer.Ordinal))
        {
            throw new InvalidDataException(
                $"'{path}' was written by a {state.Algorithm} trainer for objectives [{string.Join(", ", state.Objectives)}]; " +
                $"this trainer runs {_options.Algorithm} on [{string.Join(", ", Objectives)}]. Resume with the same settings.");
        }

        if (state.DynaOpt is null != _dynaOpt is null || state.RewardMoments is null != _normalizer is null)
        {
            throw new InvalidDataException(
                $"'{path}' was written with other reward settings (DynaOpt weighting or running reward normalisation); resume with the same options.");
        }

        return state;
    }

    private void ApplyState(PolicyTrainerState state)
    {
        var states = OptimizerStates();
        if (state.OptimizerParameterSteps.Count != states.Count)
        {
            throw new InvalidDataException(
                $"The checkpoint has step counts for {state.OptimizerParameterSteps.Count} parameters; this trainer optimises {states.Count}.");
        }

        for (int i = 0; i < states.Count; i++)
        {
            states[i].step = state.OptimizerParameterSteps[i];
        }

        _step = state.Step;
        _dataPoints = state.DataPoints;
        _optimizerSteps = state.OptimizerSteps;
        _random.State = state.RandomState;
        _kl.Coefficient = state.KlCoefficient;
        if (state.RewardMoments is not null)
        {
            _normalizer!.Restore(state.RewardMoments);
        }

        if (state.DynaOpt is not null)
        {
            _dynaOpt!.Restore(state.DynaOpt);
        }

        _trainCount = state.TrainCount;
        _order.Clear();
        foreach (int index in state.PendingOrder)
        {
            _order.Enqueue(index);
        }

        _validationScores.Clear();
        _validationScores.AddRange(state.ValidationScores);
        _validationObjectiveScores.Clear();
        _validationObjectiveScores.AddRange(state.ValidationObjectiveScores);
        _converged = state.Converged;
        _seconds = state.Seconds;
    }

    /// <summary>Lists every tensor a checkpoint restores, by its key in the file.</summary>
    private List<(string Name, Tensor Target)> CheckpointTargets()
    {
        var targets = _adapter.NamedFactors().Select(f => (AdapterPrefix + f.Name, f.Value)).ToList();
        if (_valueHead is not null)
        {
            targets.AddRange(_valueHead.named_parameters().Select(p => (ValueHeadPrefix + p.name, (Tensor)p.parameter)));
        }

        var states = OptimizerStates();
        for (int i = 0; i < states.Count; i++)
        {
            targets.Add(($"{OptimizerPrefix}{i}.exp_avg", states[i].exp_avg));
            targets.Add(($"{OptimizerPrefix}{i}.exp_avg_sq", states[i].exp_avg_sq));
        }

        return targets;
    }

    private static void CheckTensors(string path, List<(string Name, Tensor Target)> targets, Dictionary<string, Tensor> loaded)
    {
        var missing = targets.Where(t => !loaded.ContainsKey(t.Name)).Select(t => t.Name).ToArray();
        var unexpected = loaded.Keys.Except(targets.Select(t => t.Name), StringComparer.Ordinal).ToArray();
        var misshapen = targets
            .Where(t => loaded.TryGetValue(t.Name, out var value) && !value.shape.SequenceEqual(t.Target.shape))
            .Select(t => t.Name)
            .ToArray();
        if (missing.Length + unexpected.Length + misshapen.Length > 0)
        {
            throw new InvalidDataException(
                $"'{path}' does not fit this trainer's adapter, value head and optimizer. Missing: [{string.Join(", ", missing.Take(10))}]. " +
                $"Unexpected: [{string.Join(", ", unexpected.Take(10))}]. Wrong shape: [{string.Join(", ", misshapen.Take(10))}]. " +
                "Resume with the base model, LoRA options and algorithm the checkpoint was written with.");
        }
    }

    /// <summary>Returns AdamW's live per-parameter states, in the order of the trainer's parameters.</summary>
    private List<AdamW.State> OptimizerStates() => _optimizer.state_dict().State.Cast<AdamW.State>().ToList();
}
