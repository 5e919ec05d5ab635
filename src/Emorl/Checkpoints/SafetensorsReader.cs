using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>
/// Reads a safetensors file tensor by tensor: the header is parsed and checked when the file is
/// opened, and each tensor's bytes are read from the file only when it is requested.
/// </summary>
/// <remarks>
/// Format: https://github.com/huggingface/safetensors (an 8-byte little-endian header length, a JSON
/// header with each tensor's dtype, shape and byte range, then the raw little-endian data). Every
/// dtype of <see cref="SafetensorsFile"/> is read in its own element type. Peak memory while reading
/// is the tensors the caller keeps plus nothing else, because bytes go straight from the file into
/// the tensor's storage. Not thread-safe: one file position is shared by all reads.
/// </remarks>
public sealed class SafetensorsReader : IStateDictReader
{
    private const long MaxHeaderBytes = 100_000_000;

    private readonly FileStream _stream;
    private readonly long _dataStart;
    private readonly Dictionary<string, IReadOnlyList<long>> _shapes;

    private SafetensorsReader(string path, FileStream stream, long dataStart,
        Dictionary<string, SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _shapes = tensors.ToDictionary(t => t.Key, t => t.Value.Shape, StringComparer.Ordinal);
    }

    /// <summary>Gets the path of the file.</summary>
    public string Path { get; }

    /// <summary>Gets every tensor's header entry, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Gets the string metadata stored under <c>__metadata__</c>; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    IReadOnlyDictionary<string, IReadOnlyList<long>> IStateDictReader.Shapes => _shapes;

    /// <summary>Opens a file and checks its header against the file's length.</summary>
    /// <param name="path">The safetensors file.</param>
    /// <returns>An open reader; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is truncated, its header is invalid, a dtype is unsupported, or a byte range does not
    /// match its tensor's shape.
    /// </exception>
    public static SafetensorsReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Reading safetensors files needs a little-endian processor.");
        }

        var stream = File.OpenRead(path);
        try
        {
            long dataStart = ReadHeaderLength(stream, path);
            var headerBytes = new byte[dataStart - 8];
            stream.ReadExactly(headerBytes);
            using var document = ParseHeader(path, headerBytes);
            long dataLength = stream.Length - dataStart;
            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    ReadMetadata(path, entry.Value, metadata);
                    continue;
                }

                tensors[entry.Name] = ParseEntry(path, entry, dataLength);
            }

            return new SafetensorsReader(path, stream, dataStart, tensors, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor in its stored element type.</summary>
    /// <param name="name">The tensor's key.</param>
    /// <returns>A new CPU tensor with the stored shape and dtype; the caller owns it.</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor named <paramref name="name"/>.</exception>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or larger.</exception>
    public Tensor ReadTensor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(!_stream.CanRead, this);
        if (!Tensors.TryGetValue(name, out var info))
        {
            throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
        }

        if (info.ByteLength > int.MaxValue)
        {
            throw new NotSupportedException(
                $"Tensor '{name}' in '{Path}' is {info.ByteLength} bytes; this reader supports tensors under 2 GiB.");
        }

        var result = empty(info.Shape.ToArray(), info.ScalarType);
        try
        {
            _stream.Position = _dataStart + info.DataOffset;
            _stream.ReadExactly(result.bytes);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private static long ReadHeaderLength(FileStream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Length < 8)
        {
            throw new InvalidDataException(
                $"'{path}' holds {stream.Length} bytes, fewer than the 8-byte safetensors header length; the file is truncated.");
        }

        stream.ReadExactly(lengthBytes);
        long headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
        {
            throw new InvalidDataException(
                $"'{path}' declares a {headerLength}-byte header but holds {stream.Length} bytes; " +
                "the file is truncated or not a safetensors file.");
        }

        return 8 + headerLength;
    }

    private static JsonDocument ParseHeader(string path, byte[] headerBytes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(Encoding.UTF8.GetString(headerBytes).TrimEnd());
        }
        catch (JsonException error)
        {
            throw new InvalidDataException(
                $"The header of '{path}' is not valid JSON; the file is damaged or not a safetensors file.", error);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new InvalidDataException($"The header of '{path}' is not a JSON object; the file is not a safetensors file.");
        }

        return document;
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"__metadata__ in '{path}' is not a JSON object of strings.");
        }

        foreach (var item in element.EnumerateObject())
        {
            metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String
                ? item.Value.GetString() ?? string.Empty
                : throw new InvalidDataException($"__metadata__ entry '{item.Name}' in '{path}' is not a string.");
        }
    }

    private static SafetensorsTensorInfo ParseEntry(string path, JsonProperty entry, long dataLength)
    {
        string dtype;
        long[] shape;
        long[] range;
        try
        {
            dtype = entry.Value.GetProperty("dtype").GetString() ?? string.Empty;
            shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            range = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        }
        catch (Exception error) when (error is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(
                $"Tensor '{entry.Name}' in '{path}' needs \"dtype\" (a string), \"shape\" and \"data_offsets\" " +
                "(arrays of integers); the header is damaged.", error);
        }

        if (!SafetensorsDtypes.TryParse(dtype, out var type, out int width))
        {
            throw new InvalidDataException(
                $"Tensor '{entry.Name}' in '{path}' has dtype {dtype}; supported dtypes are {SafetensorsDtypes.SupportedNames}.");
        }

        if (shape.Any(d => d < 0) || range.Length != 2 || range[0] < 0 || range[1] < range[0])
        {
            throw new InvalidDataException(
                $"Tensor '{entry.Name}' in '{path}' has shape [{string.Join(", ", shape)}] and data_offsets " +
                $"[{string.Join(", ", range)}]; dimensions must be non-negative and offsets a [begin, end] pair with begin ≤ end.");
        }

        if (range[1] > dataLength)
        {
            throw new InvalidDataException(
                $"Tensor '{entry.Name}' in '{path}' spans bytes [{range[0]}, {range[1]}) beyond the file's " +
                $"{dataLength} data bytes; the file is truncated or damaged.");
        }

        long expected = SafetensorsDtypes.CountElements(shape) * width;
        if (expected != range[1] - range[0])
        {
            throw new InvalidDataException(
                $"Tensor '{entry.Name}' in '{path}' has shape [{string.Join(", ", shape)}] of {dtype} ({expected} bytes) " +
                $"but {range[1] - range[0]} data bytes; the header is damaged.");
        }

        return new SafetensorsTensorInfo(entry.Name, dtype, type, shape, range[0], range[1] - range[0]);
    }
}
