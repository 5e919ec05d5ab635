using System.Collections.Generic;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>The header entry of one tensor in a safetensors file.</summary>
/// <param name="Name">The tensor's key.</param>
/// <param name="Dtype">The dtype as the file spells it, such as <c>F16</c> or <c>BOOL</c>.</param>
/// <param name="ScalarType">The TorchSharp element type that <see cref="Dtype"/> maps to.</param>
/// <param name="Shape">The tensor's shape; empty for a scalar.</param>
/// <param name="DataOffset">The offset of the first data byte, from the start of the data section.</param>
/// <param name="ByteLength">The number of data bytes.</param>
public sealed record SafetensorsTensorInfo(
    string Name, string Dtype, ScalarType ScalarType, IReadOnlyList<long> Shape, long DataOffset, long ByteLength);
