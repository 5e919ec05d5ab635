using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>A Python global that the restricted unpickler allows, such as <c>collections.OrderedDict</c>.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>A Python dict or OrderedDict, with its items in pickle order.</summary>
internal sealed class PickleDictionary : List<KeyValuePair<object?, object?>>
{
    public void Add(object? key, object? value) => Add(new KeyValuePair<object?, object?>(key, value));
}

/// <summary>A PyTorch storage named by a persistent id: its file in the archive, element type and length.</summary>
internal sealed record TorchStorageReference(string Key, ScalarType ElementType, int ElementWidth, long ElementCount)
{
    private static readonly Dictionary<string, (ScalarType Type, int Width)> s_storageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>Reads a persistent id of the form ('storage', torch.XStorage, key, location, element count).</summary>
    public static TorchStorageReference FromPersistentId(object?[] id, string source)
    {
        if (id.Length != 5 || id[0] is not "storage" || id[1] is not PickleGlobal type || id[2] is not string key
            || id[4] is not long count || count < 0 || !s_storageTypes.TryGetValue(type.Name, out var element)
            || key.Length == 0 || key.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_'))
        {
            throw new InvalidDataException(
                $"'{source}' cannot be read as a PyTorch state dict: a persistent id is not " +
                "('storage', torch.<Type>Storage, key, location, element count) with a known storage type.");
        }

        return new TorchStorageReference(key, element.Type, element.Width, count);
    }
}

/// <summary>A tensor rebuilt by <c>torch._utils._rebuild_tensor_v2</c>: a strided view of a storage.</summary>
internal sealed record TorchTensorReference(TorchStorageReference Storage, long StorageOffset, long[] Shape, long[] Stride)
{
    public static TorchTensorReference FromRebuildArguments(object?[] arguments, string source)
    {
        if (arguments[0] is not TorchStorageReference storage || arguments[1] is not long offset
            || !TryReadLongs(arguments[2], out var shape) || !TryReadLongs(arguments[3], out var stride)
            || shape.Length != stride.Length || arguments[4] is not bool)
        {
            throw new InvalidDataException(
                $"'{source}' cannot be read as a PyTorch state dict: _rebuild_tensor_v2 is called with arguments " +
                "other than (storage, offset, size, stride, requires_grad, hooks).");
        }

        var reference = new TorchTensorReference(storage, offset, shape, stride);
        if (!reference.FitsStorage())
        {
            throw new InvalidDataException(
                $"'{source}' cannot be read as a PyTorch state dict: a tensor of shape [{string.Join(", ", shape)}], " +
                $"stride [{string.Join(", ", stride)}] and offset {offset} reaches beyond its storage '{storage.Key}' of " +
                $"{storage.ElementCount} elements.");
        }

        return reference;
    }

    /// <summary>Gets whether the view covers its whole storage in row-major order, so no copy is needed.</summary>
    public bool IsWholeContiguousStorage
    {
        get
        {
            long expected = 1;
            for (int i = Shape.Length - 1; i >= 0; i--)
            {
                if (Shape[i] != 1 && Stride[i] != expected)
                {
                    return false;
                }

                expected *= Shape[i];
            }

            return StorageOffset == 0 && expected == Storage.ElementCount;
        }
    }

    private bool FitsStorage()
    {
        if (StorageOffset < 0 || Shape.Any(d => d < 0) || Stride.Any(s => s < 0))
        {
            return false;
        }

        if (Shape.Any(d => d == 0))
        {
            return StorageOffset <= Storage.ElementCount;
        }

        long last = StorageOffset;
        for (int i = 0; i < Shape.Length; i++)
        {
            last = checked(last + ((Shape[i] - 1) * Stride[i]));
        }

        return last < Storage.ElementCount;
    }

    private static bool TryReadLongs(object? value, out long[] result)
    {
        if (value is object?[] items && items.All(i => i is long))
        {
            result = items.Cast<long>().ToArray();
            return true;
        }

        result = [];
        return false;
    }
}
