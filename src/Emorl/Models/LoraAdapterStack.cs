using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// K LoRA adapters of one base model applied to K slices of one stacked batch, so a decoding step
/// pushes all K × B rows through the base weights once and adds each adapter's update to its slice.
/// </summary>
/// <remarks>
/// Rows are laid out model-major: rows [k·B, (k+1)·B) belong to adapter k. For each projection the
/// factors are stacked as A [K, r, in] and B [K, out, r] with each adapter's alpha / r folded into
/// B, and the update is two batched matrix products. A null adapter (the base model) contributes
/// zero factors. The stack copies the factors without gradient, for inference only; build a new
/// stack after the adapters change. Dropout is never applied.
/// </remarks>
internal sealed class LoraAdapterStack : IProjectionUpdate, IDisposable
{
    private readonly Dictionary<string, (Tensor A, Tensor B)> _stacked = new(StringComparer.Ordinal);

    private LoraAdapterStack(int count)
    {
        Count = count;
    }

    /// <summary>Gets K, the number of stacked adapters.</summary>
    public int Count { get; }

    /// <summary>Stacks adapters; returns null when their ranks differ, so callers fall back to one pass per model.</summary>
    public static LoraAdapterStack? TryCreate(AdaptableLanguageModel model, IReadOnlyList<LoraAdapter?> adapters)
    {
        var present = adapters.Where(a => a is not null).Select(a => a!).ToArray();
        if (present.Select(a => a.Options.Rank).Distinct().Count() > 1)
        {
            return null;
        }

        int rank = present.Length == 0 ? 1 : present[0].Options.Rank;
        var result = new LoraAdapterStack(adapters.Count);
        using var noGrad = no_grad();
        foreach (var (path, inFeatures, outFeatures) in model.AdaptableProjections())
        {
            if (!present.Any(a => a.TryGetFactors(path, out _, out _)))
            {
                continue;
            }

            var aSlices = new Tensor[adapters.Count];
            var bSlices = new Tensor[adapters.Count];
            for (int k = 0; k < adapters.Count; k++)
            {
                var adapter = adapters[k];
                if (adapter is not null && adapter.TryGetFactors(path, out var a, out var b))
                {
                    aSlices[k] = a.detach();
                    bSlices[k] = b.detach() * adapter.Options.Scale;
                }
                else
                {
                    aSlices[k] = zeros(rank, inFeatures, device: model.Device);
                    bSlices[k] = zeros(outFeatures, rank, device: model.Device);
                }
            }

            var stackedA = stack(aSlices).transpose(1, 2).contiguous().DetachFromDisposeScope();   // [K, in, r]
            var stackedB = stack(bSlices).transpose(1, 2).contiguous().DetachFromDisposeScope();   // [K, r, out]
            result._stacked[path] = (stackedA, stackedB);
            foreach (var slice in aSlices.Concat(bSlices))
            {
                slice.Dispose();
            }
        }

        return result;
    }

    /// <inheritdoc />
    public Tensor? Update(string path, Tensor input)
    {
        if (!_stacked.TryGetValue(path, out var factors))
        {
            return null;
        }

        long[] shape = input.shape;                                                   // [K·B, .., in]
        using var grouped = input.reshape(Count, -1, shape[^1]);                      // [K, B·.., in]
        using var low = bmm(grouped, factors.A);                                      // [K, B·.., r]
        using var update = bmm(low, factors.B);                                       // [K, B·.., out]
        long[] outputShape = [.. shape[..^1], update.shape[^1]];
        return update.reshape(outputShape);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (a, b) in _stacked.Values)
        {
            a.Dispose();
            b.Dispose();
        }

        _stacked.Clear();
    }
}
