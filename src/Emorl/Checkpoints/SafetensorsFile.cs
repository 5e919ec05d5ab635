using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
/// </summary>
/// <remarks>
/// Format: https://github.com/huggingface/safetensors. Floating-point tensors (F32, F16, BF16, F64)
/// load as float32; integer tensors (I64, I32) as int64. Writes go to a temporary file that is then
/// renamed, so a crash never leaves a half-written file under the final name.
/// </remarks>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writes tensors to a safetensors file, atomically.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Name and tensor pairs; float tensors are written as F32, integer ones as I64.</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>.</param>
    /// <param name="cancellationToken">
    /// Checked before each tensor is copied and before each is written. A canceled write leaves any
    /// existing file unchanged.
    /// </param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static void Write(
        string path,
        IEnumerable<(string Name, Tensor Value)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var blobs = new List<(string Name, string Dtype, long[] Shape, byte[] Data)>();
        foreach (var (name, value) in tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var cpu = value.detach().cpu().contiguous();
            bool isFloat = is_floating_point(cpu);
            using var converted = isFloat ? cpu.to(float32) : cpu.to(int64);
            blobs.Add((name, isFloat ? "F32" : "I64", converted.shape, converted.bytes.ToArray()));
        }

        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        foreach (var blob in blobs.OrderBy(b => b.Name, StringComparer.Ordinal))
        {
            header[blob.Name] = new { dtype = blob.Dtype, shape = blob.Shape, data_offsets = new[] { offset, offset + blob.Data.Length } };
            offset += blob.Data.Length;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padding = (8 - json.Length % 8) % 8;
        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((long)(json.Length + padding)));
            stream.Write(json);
            stream.Write(Enumerable.Repeat((byte)' ', padding).ToArray());
            foreach (var blob in blobs.OrderBy(b => b.Name, StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(blob.Data);
            }
        });
    }

    /// <summary>Reads every tensor of a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Tensors by name; the caller owns them.</returns>
    /// <exception cref="InvalidDataException">The file is truncated, its header is invalid, or a dtype is unsupported.</exception>
    public static Dictionary<string, Tensor> Read(string path) => Read(path, CancellationToken.None);

    /// <summary>Reads every tensor of a safetensors file, checking for cancellation between tensors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Checked before each tensor; tensors read before cancellation are disposed.</param>
    /// <returns>Tensors by name; the caller owns them.</returns>
    /// <exception cref="InvalidDataException">The file is truncated, its header is invalid, or a dtype is unsupported.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static Dictionary<string, Tensor> Read(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        using var document = ReadHeader(stream, path, out long dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            ReadTensors(stream, document, dataStart, path, result, cancellationToken);
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }

            throw;
        }

        return result;
    }

    private static void ReadTensors(
        FileStream stream,
        JsonDocument document,
        long dataStart,
        string path,
        Dictionary<string, Tensor> result,
        CancellationToken cancellationToken)
    {
        foreach (var entry in document.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string dtype = entry.Value.GetProperty("dtype").GetString() ?? string.Empty;
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long[] range = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (range.Length != 2 || range[0] < 0 || range[1] < range[0] || dataStart + range[1] > stream.Length)
            {
                throw new InvalidDataException(
                    $"Tensor '{entry.Name}' in '{path}' spans bytes [{string.Join(", ", range)}] beyond the file's " +
                    $"{stream.Length - dataStart} data bytes; the file is truncated or damaged.");
            }

            var data = new byte[range[1] - range[0]];
            stream.Position = dataStart + range[0];
            stream.ReadExactly(data);
            result[entry.Name] = Decode(path, entry.Name, dtype, shape, data);
        }
    }

    private static JsonDocument ParseHeader(string path, byte[] headerBytes)
    {
        try
        {
            var document = JsonDocument.Parse(Encoding.UTF8.GetString(headerBytes).TrimEnd());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new InvalidDataException($"The header of '{path}' is not a JSON object; the file is not a safetensors file.");
            }

            return document;
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"The header of '{path}' is not valid JSON; the file is damaged or not a safetensors file.", error);
        }
    }

    /// <summary>Reads the string metadata stored under <c>__metadata__</c>, without reading any tensor data.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The metadata entries; empty when the file has none.</returns>
    /// <exception cref="InvalidDataException">The file is truncated or its header is invalid.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        using var document = ReadHeader(stream, path, out _);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (document.RootElement.TryGetProperty("__metadata__", out var metadata))
        {
            foreach (var entry in metadata.EnumerateObject())
            {
                result[entry.Name] = entry.Value.GetString() ?? string.Empty;
            }
        }

        return result;
    }

    /// <summary>Reads the JSON header and returns it with the offset where tensor data starts.</summary>
    private static JsonDocument ReadHeader(Stream stream, string path, out long dataStart)
    {
        var lengthBytes = new byte[8];
        if (stream.Read(lengthBytes) != 8)
        {
            throw new InvalidDataException($"'{path}' is shorter than the 8-byte safetensors header length; the file is truncated.");
        }

        long headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
        {
            throw new InvalidDataException(
                $"'{path}' declares a {headerLength}-byte header but holds {stream.Length} bytes; it is not a valid safetensors file.");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + headerLength;
        return ParseHeader(path, headerBytes);
    }

    private static Tensor Decode(string path, string name, string dtype, long[] shape, byte[] data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int width = dtype switch
        {
            "F32" or "I32" => 4,
            "F16" or "BF16" => 2,
            "F64" or "I64" => 8,
            _ => throw new InvalidDataException(
                $"Tensor '{name}' in '{path}' has dtype {dtype}; supported dtypes are F32, F16, BF16, F64, I64 and I32."),
        };
        if (count * width != data.Length)
        {
            throw new InvalidDataException(
                $"Tensor '{name}' in '{path}' has shape [{string.Join(", ", shape)}] of {dtype} ({count * width} bytes) " +
                $"but {data.Length} data bytes.");
        }

        switch (dtype)
        {
            case "F32":
                return tensor(MemoryMarshal.Cast<byte, float>(data).ToArray(), shape);
            case "F64":
                return tensor(MemoryMarshal.Cast<byte, double>(data).ToArray(), shape).to(float32);
            case "I64":
                return tensor(MemoryMarshal.Cast<byte, long>(data).ToArray(), shape);
            case "I32":
                return tensor(MemoryMarshal.Cast<byte, int>(data).ToArray(), shape).to(int64);
            case "F16":
                return tensor(MemoryMarshal.Cast<byte, Half>(data).ToArray().Select(h => (float)h).ToArray(), shape);
            default:
                // bfloat16 is the upper half of a float32.
                var halves = MemoryMarshal.Cast<byte, ushort>(data);
                var floats = new float[halves.Length];
                for (int i = 0; i < halves.Length; i++)
                {
                    floats[i] = BitConverter.Int32BitsToSingle(halves[i] << 16);
                }

                return tensor(floats, shape);
        }
    }
}
