using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Models;

/// <summary>
/// One LoRA adapter: a low-rank update B A for each adapted projection of a frozen base model.
/// </summary>
/// <remarks>
/// A starts Kaiming-uniform and B at zero, so a new adapter leaves the base model's output
/// unchanged (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"). Keys are the
/// projections' parameter paths without the ".weight" suffix, such as <c>h.0.attn.c_attn</c>.
/// The adapter owns its parameters; dispose it to release them. Not thread-safe while training.
/// </remarks>
public sealed class LoraAdapter : IProjectionUpdate, IDisposable
{
    private readonly Dictionary<string, (Parameter A, Parameter B)> _factors;
    private bool _disposed;

    private LoraAdapter(LoraOptions options, Dictionary<string, (Parameter A, Parameter B)> factors)
    {
        Options = options;
        _factors = factors;
    }

    /// <summary>Gets the adapter's rank, alpha and dropout.</summary>
    public LoraOptions Options { get; }

    /// <summary>Gets the adapted projections' paths, in model order.</summary>
    public IReadOnlyList<string> Targets => _factors.Keys.ToList();

    /// <summary>Gets or sets whether adapter dropout is active (training mode).</summary>
    public bool Training { get; set; }

    /// <summary>
    /// Creates a fresh adapter for every adaptable projection of <paramref name="model"/>: GPT-2's
    /// attn.c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj; T5's q, k, v and o of every attention, wi (wi_0 and wi_1
    /// when gated) and wo.
    /// </summary>
    /// <param name="model">The base model; its weights are not changed.</param>
    /// <param name="options">Rank, alpha and dropout; validated here.</param>
    /// <param name="seed">Seed for the A matrices' initialisation.</param>
    /// <returns>A new adapter whose update is zero; the caller owns it.</returns>
    public static LoraAdapter Create(AdaptableLanguageModel model, LoraOptions options, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Create(model.AdaptableProjections(), model.Device, options, seed);
    }

    private static LoraAdapter Create(
        IEnumerable<(string Path, int InFeatures, int OutFeatures)> projections, Device device, LoraOptions options, long seed)
    {
        var generator = new Generator((ulong)seed);
        var factors = new Dictionary<string, (Parameter A, Parameter B)>(StringComparer.Ordinal);
        foreach (var (path, inFeatures, outFeatures) in projections)
        {
            // Kaiming-uniform with a = sqrt(5), PyTorch's nn.Linear default and PEFT's choice for A.
            double bound = 1.0 / Math.Sqrt(inFeatures);
            using var initial = rand([options.Rank, inFeatures], generator: generator).mul_(2 * bound).sub_(bound);
            factors[path] = (new Parameter(initial.to(device), requires_grad: true),
                             new Parameter(zeros(outFeatures, options.Rank, device: device), requires_grad: true));
        }

        return new LoraAdapter(options, factors);
    }

    /// <summary>Creates an adapter from existing factor tensors, for loading checkpoints.</summary>
    /// <param name="options">Rank, alpha and dropout.</param>
    /// <param name="factors">Per projection path: A [r, in] and B [out, r]; copied.</param>
    /// <returns>A new adapter; the caller owns it.</returns>
    public static LoraAdapter FromTensors(LoraOptions options, IReadOnlyDictionary<string, (Tensor A, Tensor B)> factors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(factors);
        options.Validate();
        var copies = new Dictionary<string, (Parameter A, Parameter B)>(StringComparer.Ordinal);
        foreach (var (path, (a, b)) in factors)
        {
            if (a.shape[0] != options.Rank || b.shape[1] != options.Rank)
            {
                throw new ArgumentException(
                    $"LoRA factors of '{path}' have shapes A [{string.Join(", ", a.shape)}] and B " +
                    $"[{string.Join(", ", b.shape)}], which do not match rank {options.Rank}.", nameof(factors));
            }

            copies[path] = (new Parameter(a.detach().clone().to(float32), requires_grad: true),
                            new Parameter(b.detach().clone().to(float32), requires_grad: true));
        }

        return new LoraAdapter(options, copies);
    }

    /// <summary>Gets the A and B factors of one projection.</summary>
    /// <param name="path">Projection path, such as <c>h.0.attn.c_attn</c>.</param>
    /// <param name="a">A, [r, in].</param>
    /// <param name="b">B, [out, r].</param>
    /// <returns>Whether the projection is adapted.</returns>
    /// <exception cref="ObjectDisposedException">The adapter was disposed.</exception>
    public bool TryGetFactors(string path, out Tensor a, out Tensor b)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_factors.TryGetValue(path, out var pair))
        {
            a = pair.A;
            b = pair.B;
            return true;
        }

        a = null!;
        b = null!;
        return false;
    }

    /// <summary>Returns (alpha / r) · dropout(x) Aᵀ Bᵀ for an adapted projection, dropout only while training.</summary>
    Tensor? IProjectionUpdate.Update(string path, Tensor input)
    {
        // A disposed adapter has no factors, so without this check the model would silently run as the bare base.
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_factors.TryGetValue(path, out var pair))
        {
            return null;
        }

        using var adapterInput = nn.functional.dropout(input, Options.Dropout, Training);
        using var low = matmul(adapterInput, pair.A.t());                 // [.., r]
        return matmul(low, pair.B.t()).mul_(Options.Scale);             // [.., out]
    }

    /// <summary>Enumerates every trainable parameter (A then B of each projection).</summary>
    /// <returns>The parameters, owned by this adapter.</returns>
    /// <exception cref="ObjectDisposedException">The adapter was disposed.</exception>
    public IEnumerable<Parameter> Parameters()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (a, b) in _factors.Values)
        {
            yield return a;
            yield return b;
        }
    }

    /// <summary>Enumerates every factor with its PEFT-style name, such as <c>h.0.attn.c_attn.lora_A.weight</c>.</summary>
    /// <returns>Name and tensor pairs, owned by this adapter.</returns>
    /// <exception cref="ObjectDisposedException">The adapter was disposed.</exception>
    public IEnumerable<(string Name, Tensor Value)> NamedFactors()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (path, (a, b)) in _factors)
        {
            yield return ($"{path}.lora_A.weight", a);
            yield return ($"{path}.lora_B.weight", b);
        }
    }

    /// <summary>Gets the number of trainable values.</summary>
    public long ParameterCount => Parameters().Sum(p => p.numel());

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        foreach (var (a, b) in _factors.Values)
        {
            a.Dispose();
            b.Dispose();
        }

        _factors.Clear();
    }
}
