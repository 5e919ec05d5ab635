using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using static TorchSharp.torch;

namespace Emorl.Checkpoints;

/// <summary>
/// Reads a state dict saved by <c>torch.save</c> in PyTorch's zip format, such as a Hugging Face
/// <c>pytorch_model.bin</c>, tensor by tensor and without running any Python code.
/// </summary>
/// <remarks>
/// The zip contains <c>ARCHIVE/data.pkl</c>, a pickle of an OrderedDict from names to tensors whose
/// storages are persistent ids, and one raw little-endian file <c>ARCHIVE/data/KEY</c> per storage.
/// The pickle is read by a restricted unpickler that accepts only the opcodes and globals a state
/// dict uses (see <c>PickleReader</c>) and rejects anything else with an error naming it. Storages
/// of every element type torch.save writes for floats, integers and bools are read. The legacy
/// non-zip format (PyTorch before 1.6, or <c>_use_new_zipfile_serialization=False</c>) is rejected.
/// Not thread-safe.
/// </remarks>
public sealed class PyTorchStateDictReader : IStateDictReader
{
    private readonly ZipArchive _archive;
    private readonly string _prefix;
    private readonly Dictionary<string, TorchTensorReference> _tensors;
    private readonly Dictionary<string, IReadOnlyList<long>> _shapes;

    private PyTorchStateDictReader(string path, ZipArchive archive, string prefix, Dictionary<string, TorchTensorReference> tensors)
    {
        Path = path;
        _archive = archive;
        _prefix = prefix;
        _tensors = tensors;
        _shapes = tensors.ToDictionary(t => t.Key, t => (IReadOnlyList<long>)t.Value.Shape, StringComparer.Ordinal);
    }

    /// <summary>Gets the path of the file.</summary>
    public string Path { get; }

    /// <summary>Gets every tensor's shape by name, known without reading tensor data.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>> Shapes => _shapes;

    /// <summary>Opens a PyTorch zip file and reads its pickled state dict, without reading tensor data.</summary>
    /// <param name="path">The <c>.bin</c> or <c>.pt</c> file.</param>
    /// <returns>An open reader; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a zip (or is truncated), is in the legacy format, is big-endian, or its pickle
    /// uses an opcode or global a state dict does not use.
    /// </exception>
    public static PyTorchStateDictReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = File.OpenRead(path);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException error)
        {
            stream.Dispose();
            throw new InvalidDataException(
                $"'{path}' is not a zip archive ({error.Message}). It is truncated, or was saved in PyTorch's legacy format; " +
                "re-save it with torch.save from PyTorch 1.6 or later, or as model.safetensors.", error);
        }

        try
        {
            var pickle = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)
                && e.FullName.Count(c => c == '/') == 1)
                ?? throw new InvalidDataException($"'{path}' has no ARCHIVE/data.pkl entry; it is not a PyTorch zip state dict.");
            string prefix = pickle.FullName[..^"data.pkl".Length];
            CheckByteOrder(path, archive, prefix);
            var tensors = ReadStateDict(path, pickle);
            return new PyTorchStateDictReader(path, archive, prefix, tensors);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor in its stored element type.</summary>
    /// <param name="name">The tensor's key.</param>
    /// <returns>A new contiguous CPU tensor; the caller owns it.</returns>
    /// <exception cref="KeyNotFoundException">The state dict has no tensor named <paramref name="name"/>.</exception>
    /// <exception cref="InvalidDataException">The storage file is missing or shorter than its element count.</exception>
    public Tensor ReadTensor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_tensors.TryGetValue(name, out var reference))
        {
            throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
        }

        var storage = ReadStorage(reference.Storage);
        if (reference.IsWholeContiguousStorage)
        {
            using (storage)
            {
                return storage.view(reference.Shape);
            }
        }

        using (storage)
        using (var view = storage.as_strided(reference.Shape, reference.Stride, reference.StorageOffset))
        {
            return view.clone();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _archive.Dispose();

    private Tensor ReadStorage(TorchStorageReference storage)
    {
        string entryName = _prefix + "data/" + storage.Key;
        var entry = _archive.GetEntry(entryName)
            ?? throw new InvalidDataException($"'{Path}' has no storage entry '{entryName}'; the file is damaged.");
        long bytes = storage.ElementCount * storage.ElementWidth;
        if (entry.Length < bytes)
        {
            throw new InvalidDataException(
                $"Storage '{entryName}' in '{Path}' holds {entry.Length} bytes but its tensors need {bytes}; the file is damaged.");
        }

        if (bytes > int.MaxValue)
        {
            throw new NotSupportedException($"Storage '{entryName}' in '{Path}' is {bytes} bytes; this reader supports storages under 2 GiB.");
        }

        var result = empty(storage.ElementCount, storage.ElementType);
        try
        {
            using var data = entry.Open();
            data.ReadExactly(result.bytes);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void CheckByteOrder(string path, ZipArchive archive, string prefix)
    {
        var entry = archive.GetEntry(prefix + "byteorder");
        if (entry is null)
        {
            return;
        }

        using var reader = new StreamReader(entry.Open(), Encoding.ASCII);
        string order = reader.ReadToEnd().Trim();
        if (order != "little" || !BitConverter.IsLittleEndian)
        {
            throw new InvalidDataException(
                $"'{path}' stores {order}-endian data; this reader reads little-endian files on little-endian processors.");
        }
    }

    private static Dictionary<string, TorchTensorReference> ReadStateDict(string path, ZipArchiveEntry pickle)
    {
        byte[] data;
        using (var stream = pickle.Open())
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            data = buffer.ToArray();
        }

        object? root = PickleReader.Load(data, path, id => TorchStorageReference.FromPersistentId(id, path));
        if (root is not PickleDictionary dictionary)
        {
            throw new InvalidDataException(
                $"'{path}' holds a {root?.GetType().Name ?? "None"}, not a state dict (an OrderedDict of tensors); " +
                "save model.state_dict().");
        }

        var tensors = new Dictionary<string, TorchTensorReference>(StringComparer.Ordinal);
        foreach (var (key, value) in dictionary)
        {
            if (key is not string name || value is not TorchTensorReference tensor)
            {
                throw new InvalidDataException(
                    $"'{path}' maps {key} to a {value?.GetType().Name ?? "None"}; a state dict maps names to tensors. " +
                    "If the weights are nested (for example under \"model\"), save that inner state dict alone.");
            }

            tensors[name] = tensor;
        }

        return tensors;
    }
}
