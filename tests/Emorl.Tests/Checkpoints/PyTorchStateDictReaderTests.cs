using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Emorl.Checkpoints;
using static Emorl.Tests.Checkpoints.HuggingFaceFixtures;
using static TorchSharp.torch;

namespace Emorl.Tests.Checkpoints;

[Collection("Torch")]
public sealed class PyTorchStateDictReaderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "emorl-" + Guid.NewGuid().ToString("N") + ".bin");

    [Fact]
    public void HandWrittenStateDictReadsKnownValues()
    {
        // Storage "0" contains 6 floats; "a" views all of it as [2, 3], "b" is its transpose and "c" the
        // last row. Storage "1" contains fp16 values.
        float[] values = [1.5f, -2f, 3.25f, 4f, 5f, -6.5f];
        var tensors = new List<TorchTensor>
        {
            new("a", "0", "FloatStorage", 0, [2, 3], [3, 1]),
            new("b", "0", "FloatStorage", 0, [3, 2], [1, 3]),
            new("c", "0", "FloatStorage", 3, [3], [1]),
            new("h", "1", "HalfStorage", 0, [2], [1]),
        };
        WritePyTorchZip(_path, tensors,
            new Dictionary<string, byte[]> { ["0"] = Encode(values, "F32"), ["1"] = Encode([0.5f, -1.25f], "F16") },
            new Dictionary<string, long> { ["0"] = 6, ["1"] = 2 });

        using var reader = PyTorchStateDictReader.Open(_path);
        using var a = reader.ReadTensor("a");
        using var b = reader.ReadTensor("b");
        using var c = reader.ReadTensor("c");
        using var h = reader.ReadTensor("h");

        Assert.Equal(new[] { "a", "b", "c", "h" }, reader.Shapes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(-6.5f, a[1, 2].item<float>());
        Assert.Equal(new[] { 1.5f, 4f, -2f, 5f, 3.25f, -6.5f }, b.data<float>().ToArray());
        Assert.Equal(new[] { 4f, 5f, -6.5f }, c.data<float>().ToArray());
        Assert.Equal(ScalarType.Float16, h.dtype);
        Assert.Equal(-1.25f, h[1].to(ScalarType.Float32).item<float>());
    }

    [Fact]
    public void DisallowedGlobalIsRejected()
    {
        var pickle = new List<byte> { 0x80, 2 };
        Global(pickle, "os", "system");
        Unicode(pickle, "echo hi");
        pickle.AddRange([0x85, (byte)'R', (byte)'.']);
        WritePyTorchZip(_path, [], new Dictionary<string, byte[]>(), new Dictionary<string, long>(), pickle.ToArray());

        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDictReader.Open(_path));

        Assert.Contains("'os.system' is not allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOpcodeIsRejected()
    {
        // 'i' is INST, which builds an arbitrary object and never appears in a state dict.
        byte[] pickle = [0x80, 2, (byte)'i', (byte)'.'];
        WritePyTorchZip(_path, [], new Dictionary<string, byte[]>(), new Dictionary<string, long>(), pickle);

        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDictReader.Open(_path));

        Assert.Contains("opcode 0x69", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ViewBeyondItsStorageIsRejected()
    {
        WritePyTorchZip(_path, [new("a", "0", "FloatStorage", 2, [4], [1])],
            new Dictionary<string, byte[]> { ["0"] = new byte[16] }, new Dictionary<string, long> { ["0"] = 4 });

        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDictReader.Open(_path));

        Assert.Contains("beyond its storage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedFileIsRejected()
    {
        WritePyTorchZip(_path, [new("a", "0", "FloatStorage", 0, [4], [1])],
            new Dictionary<string, byte[]> { ["0"] = new byte[16] }, new Dictionary<string, long> { ["0"] = 4 });
        byte[] bytes = File.ReadAllBytes(_path);
        File.WriteAllBytes(_path, bytes[..(bytes.Length - 30)]);

        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDictReader.Open(_path));

        Assert.Contains("not a zip archive", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => File.Delete(_path);
}
