using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>A weights file read tensor by tensor: safetensors or a PyTorch zip state dict.</summary>
internal interface IStateDictReader : IDisposable
{
    /// <summary>Gets the path of the file, for error messages.</summary>
    string Path { get; }

    /// <summary>Gets every tensor's shape by name, known without reading tensor data.</summary>
    IReadOnlyDictionary<string, IReadOnlyList<long>> Shapes { get; }

    /// <summary>Reads one tensor in its stored element type; the caller owns the result.</summary>
    Tensor ReadTensor(string name);
}
