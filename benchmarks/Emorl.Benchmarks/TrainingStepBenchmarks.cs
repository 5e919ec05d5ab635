using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Emorl.Models;
using Emorl.Objectives;
using Emorl.Rewards;
using Emorl.Tokenization;
using Emorl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Emorl.Benchmarks;

/// <summary>
/// One k-SCST step (8 prompts × 3 samples, 32 new tokens: sampling, scoring, reference pass,
/// update) against a bare forward + backward + AdamW step over the same adapter and token shapes
/// [24, 64], on the CPU.
/// </summary>
[MemoryDiagnoser]
[IterationCount(5)]
[WarmupCount(1)]
public class TrainingStepBenchmarks
{
    private const int Prompts = 8;
    private const int Samples = 3;
    private BenchmarkModels _models = null!;
    private PolicyTrainer _trainer = null!;
    private string[] _statements = null!;
    private optim.Optimizer _optimizer = null!;
    private Tensor _tokens = null!;
    private Tensor _positions = null!;
    private Tensor _mask = null!;

    /// <summary>Builds the model, one adapter, the trainer and the bare step's inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _models = BenchmarkModels.Create(1, "cpu");
        var objective = new LoraObjectiveModel("length", _models.Base, _models.Adapters[0], ownsAdapter: false);
        var template = new PromptTemplate(new ByteTokenizer(), maxPromptTokens: 48, prefix: "C: ", suffix: "\nR:");
        var options = new PolicyTrainerOptions { PromptsPerStep = Prompts, SamplesPerPrompt = Samples, Sampling = new GenerationOptions { MaxNewTokens = 32, TopK = 0 } };
        _trainer = new PolicyTrainer(objective, new LengthReward(), template, options);
        _statements = Enumerable.Range(0, Prompts).Select(i => $"statement number {i} about a hard week at work").ToArray();
        _optimizer = optim.AdamW(_models.Adapters[0].Parameters(), 1e-4);
        _tokens = randint(0, 4000, [Prompts * Samples, 64]);
        _positions = arange(64L).unsqueeze(0).expand(Prompts * Samples, 64).contiguous();
        _mask = ones([Prompts * Samples, 64], ScalarType.Bool);
    }

    /// <summary>One full k-SCST step.</summary>
    /// <returns>The step's loss.</returns>
    [Benchmark]
    public double KScstStep() => _trainer.Step(_statements).Loss;

    /// <summary>Forward, next-token loss, backward, clipping and AdamW over the same shapes.</summary>
    /// <returns>The loss.</returns>
    [Benchmark(Baseline = true)]
    public double BareStep()
    {
        using var scope = NewDisposeScope();
        _models.Adapters[0].Training = true;
        var hidden = _models.Base.ForwardHidden(_tokens, _positions, _mask, null, _models.Adapters[0]);
        var logits = _models.Base.LanguageModelHead(hidden[.., ..^1]);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), _tokens[.., 1..].reshape(-1));
        _optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(_models.Adapters[0].Parameters(), 2.0);
        _optimizer.step();
        return loss.item<float>();
    }

    /// <summary>Releases everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _trainer.Dispose();
        _optimizer.Dispose();
        _models.Dispose();
    }

    /// <summary>Maps each UTF-16 code unit below 4,000 to its own id; end-of-text is 4,095.</summary>
    private sealed class ByteTokenizer : ITextTokenizer
    {
        public int VocabularySize => 4096;

        public int EndOfTextId => 4095;

        public IReadOnlyList<int> Encode(string text) => text.Select(c => Math.Min((int)c, 3999)).ToArray();

        public string Decode(IEnumerable<int> ids) => new(ids.Where(i => i < 4000).Select(i => (char)i).ToArray());
    }

    /// <summary>Scores a response by its length, up to 200 characters: cheap, so the step's cost is the model's.</summary>
    private sealed class LengthReward : IRewardModel
    {
        public string Name => "length";

        public IReadOnlyList<double> Score(IReadOnlyList<PromptResponse> pairs) =>
            pairs.Select(p => Math.Min(p.Response.Length, 200) / 200.0).ToArray();
    }
}
