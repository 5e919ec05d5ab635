using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
/// </summary>
/// <remarks>
/// Format: https://github.com/huggingface/safetensors. The dtypes F64, F32, F16, BF16, I64, I32, I16,
/// I8, U8 and BOOL are written and read in their own element type. Writes copy the tensors' bytes
/// first, then write them into a temporary file that is renamed, so a crash never leaves a
/// half-written file under the final name. To read a large file tensor by tensor, use <see cref="SafetensorsReader"/>.
/// </remarks>
public static class SafetensorsFile
{
    /// <summary>Writes tensors to a safetensors file, atomically, each in its own dtype.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Name and tensor pairs; any device, any of the supported element types.</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>.</param>
    /// <param name="cancellationToken">
    /// Checked before each tensor is copied and before each is written. A canceled write leaves any
    /// existing file unchanged.
    /// </param>
    /// <exception cref="ArgumentException">A name repeats, or a tensor's element type has no safetensors dtype.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static void Write(
        string path,
        IEnumerable<(string Name, Tensor Value)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var write = Serialize(tensors, metadata, cancellationToken);
        AtomicFile.Write(path, write);
    }

    /// <summary>
    /// Copies the tensors to the CPU, each in its own dtype, and returns a method that writes them
    /// as a safetensors file to a stream, so the tensors may change or be disposed before the file is written.
    /// </summary>
    /// <exception cref="ArgumentException">A name repeats, or a tensor's element type has no safetensors dtype.</exception>
    internal static Action<Stream> Serialize(
        IEnumerable<(string Name, Tensor Value)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        var entries = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var repeated = entries.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (repeated.Length > 0)
        {
            throw new ArgumentException($"Tensor names repeat: {string.Join(", ", repeated)}; give each tensor one name.", nameof(tensors));
        }

        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        var blobs = new List<byte[]>(entries.Count);
        foreach (var (name, value) in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (dtype, _) = SafetensorsDtypes.FromScalarType(value.dtype, name);
            using var cpu = value.detach().cpu().contiguous();
            byte[] data = cpu.bytes.ToArray();
            header[name] = new { dtype, shape = value.shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
            blobs.Add(data);
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padding = (8 - json.Length % 8) % 8;
        return stream =>
        {
            stream.Write(BitConverter.GetBytes((long)(json.Length + padding)));
            stream.Write(json);
            stream.Write(Enumerable.Repeat((byte)' ', padding).ToArray());
            foreach (byte[] data in blobs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(data);
            }
        };
    }

    /// <summary>Reads every tensor of a safetensors file, each in its stored element type.</summary>
    /// <param name="path">The file.</param>
    /// <returns>CPU tensors by name; the caller owns them.</returns>
    /// <exception cref="InvalidDataException">The file is truncated, its header is invalid, or a dtype is unsupported.</exception>
    public static Dictionary<string, Tensor> Read(string path) => Read(path, CancellationToken.None);

    /// <summary>Reads every tensor of a safetensors file, checking for cancellation between tensors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Checked before each tensor; tensors read before cancellation are disposed.</param>
    /// <returns>CPU tensors by name, each in its stored element type; the caller owns them.</returns>
    /// <exception cref="InvalidDataException">The file is truncated, its header is invalid, or a dtype is unsupported.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static Dictionary<string, Tensor> Read(string path, CancellationToken cancellationToken)
    {
        using var reader = SafetensorsReader.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (string name in reader.Tensors.Keys)
            {
                cancellationToken.ThrowIfCancellationRequested();
                result[name] = reader.ReadTensor(name);
            }
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

    /// <summary>Reads the string metadata stored under <c>__metadata__</c>, without reading any tensor data.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The metadata entries; empty when the file has none.</returns>
    /// <exception cref="InvalidDataException">The file is truncated or its header is invalid.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.Metadata;
    }
}
