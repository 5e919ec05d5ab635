using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>The dtypes of the safetensors format that map to a TorchSharp element type.</summary>
internal static class SafetensorsDtypes
{
    private static readonly (string Name, ScalarType Type, int Width)[] s_dtypes =
    [
        ("F64", ScalarType.Float64, 8),
        ("F32", ScalarType.Float32, 4),
        ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8),
        ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2),
        ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1),
        ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>Gets the supported dtype names, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", s_dtypes.Select(d => d.Name));

    public static bool TryParse(string name, out ScalarType type, out int width)
    {
        foreach (var dtype in s_dtypes)
        {
            if (dtype.Name == name)
            {
                type = dtype.Type;
                width = dtype.Width;
                return true;
            }
        }

        type = default;
        width = 0;
        return false;
    }

    public static (string Name, int Width) FromScalarType(ScalarType type, string tensorName)
    {
        foreach (var dtype in s_dtypes)
        {
            if (dtype.Type == type)
            {
                return (dtype.Name, dtype.Width);
            }
        }

        throw new ArgumentException(
            $"Tensor '{tensorName}' has element type {type}, which safetensors files of this library do not store; " +
            $"convert it to one of {SupportedNames} first.", nameof(tensorName));
    }

    public static long CountElements(IReadOnlyList<long> shape) => shape.Aggregate(1L, (a, b) => checked(a * b));
}
