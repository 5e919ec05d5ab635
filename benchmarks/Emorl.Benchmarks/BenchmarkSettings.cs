using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Emorl.Benchmarks;

/// <summary>
/// Parameter values shared by the benchmarks. Setting EMORL_BENCHMARK_SMOKE=1 shrinks them to a
/// few cases, so the test that dry-runs every benchmark stays short; EMORL_BENCHMARK_TARGETS=1
/// keeps only K = 3 and B = 8, the case the speed targets are stated for.
/// </summary>
public static class BenchmarkSettings
{
    /// <summary>The environment variable that selects the small parameter set.</summary>
    public const string SmokeVariable = "EMORL_BENCHMARK_SMOKE";

    /// <summary>The environment variable that keeps only the target case, K = 3 and B = 8.</summary>
    public const string TargetsVariable = "EMORL_BENCHMARK_TARGETS";

    /// <summary>The environment variable that picks the base model's shape: small (default) or gpt2-small.</summary>
    public const string ModelVariable = "EMORL_BENCHMARK_MODEL";

    /// <summary>The environment variable that limits the decoding methods, as a comma-separated list of <see cref="DecodingMethod"/> names.</summary>
    public const string MethodsVariable = "EMORL_BENCHMARK_METHODS";

    /// <summary>The 4-layer, 128-wide shape with a 4,096-token vocabulary.</summary>
    public const string SmallModel = "small";

    /// <summary>GPT-2 small's shape: 12 layers, 768 wide, 12 heads, 50,257 tokens.</summary>
    public const string Gpt2SmallModel = "gpt2-small";

    /// <summary>Gets whether the small parameter set is selected.</summary>
    public static bool Smoke => Environment.GetEnvironmentVariable(SmokeVariable) == "1";

    /// <summary>Gets whether only the target case is selected.</summary>
    public static bool TargetsOnly => Environment.GetEnvironmentVariable(TargetsVariable) == "1";

    /// <summary>Gets the K values: objective models aggregated.</summary>
    public static IEnumerable<int> ModelCounts => Smoke ? [1, 3] : TargetsOnly ? [3] : [1, 2, 3, 5];

    /// <summary>Gets the B values: prompts decoded together.</summary>
    public static IEnumerable<int> BatchSizes => Smoke ? [2] : TargetsOnly ? [8] : [1, 8, 32];

    /// <summary>Gets the model shape from <see cref="ModelVariable"/>; smoke runs always use the small one.</summary>
    /// <exception cref="ArgumentException">The variable names an unknown shape.</exception>
    public static IEnumerable<string> ModelSizes
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable(ModelVariable);
            if (Smoke || string.IsNullOrEmpty(value))
            {
                return [SmallModel];
            }

            return value is SmallModel or Gpt2SmallModel
                ? [value]
                : throw new ArgumentException($"{ModelVariable} is '{value}'; use {SmallModel} or {Gpt2SmallModel}.");
        }
    }

    /// <summary>Gets the decoding methods from <see cref="MethodsVariable"/>, or every method when it is unset.</summary>
    /// <exception cref="ArgumentException">The variable names an unknown method.</exception>
    public static IEnumerable<DecodingMethod> Methods
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable(MethodsVariable);
            if (Smoke || string.IsNullOrEmpty(value))
            {
                return Enum.GetValues<DecodingMethod>();
            }

            return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(name => Enum.TryParse<DecodingMethod>(name, ignoreCase: false, out var method) && Enum.IsDefined(method)
                    ? method
                    : throw new ArgumentException(
                        $"{MethodsVariable} names '{name}'; use a comma-separated list of {string.Join(", ", Enum.GetNames<DecodingMethod>())}."))
                .ToArray();
        }
    }

    /// <summary>Gets the devices: the CPU always, CUDA when TorchSharp finds a GPU.</summary>
    public static IEnumerable<string> Devices => cuda.is_available() && !Smoke ? ["cpu", "cuda"] : ["cpu"];

    /// <summary>Gets the new tokens of a full generation.</summary>
    public static int NewTokens => Smoke ? 4 : 64;

    /// <summary>Gets the prompt length in tokens.</summary>
    public const int PromptTokens = 32;

    /// <summary>Builds B prompts of <see cref="PromptTokens"/> ids each, all the same length so no row is padded.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> Prompts(int batch) =>
        Enumerable.Range(0, batch).Select(b => (IReadOnlyList<int>)Enumerable.Range(1 + (7 * b), PromptTokens).ToArray()).ToArray();
}
