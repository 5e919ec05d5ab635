using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Emorl.Checkpoints;
using static TorchSharp.torch;

namespace Emorl.Tests.Checkpoints;

[Collection("Torch")]
public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "emorl-" + Guid.NewGuid().ToString("N") + ".safetensors");

    [Fact]
    public void FloatAndIntegerTensorsRoundTrip()
    {
        using var weights = tensor(new float[] { 1.5f, -2f, 3.25f, 0f, 7f, -0.125f }, [2, 3]);
        using var ids = tensor(new long[] { 5, -9, 1L << 40 });

        SafetensorsFile.Write(_path, [("weights", weights), ("ids", ids)]);
        var loaded = SafetensorsFile.Read(_path);

        Assert.Equal(new long[] { 2, 3 }, loaded["weights"].shape);
        Assert.Equal(weights.data<float>().ToArray(), loaded["weights"].data<float>().ToArray());
        Assert.Equal(ids.data<long>().ToArray(), loaded["ids"].data<long>().ToArray());
    }

    [Fact]
    public void HalfPrecisionTensorsAreConvertedToFloat()
    {
        // Written by hand from the format: header length, JSON header, then little-endian data.
        var f16 = new[] { (Half)1.5f, (Half)(-0.25f) }.SelectMany(h => BitConverter.GetBytes(h)).ToArray();
        var bf16 = new[] { 3.0f, -10.0f }.SelectMany(f => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(f) >> 16))).ToArray();
        string header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        WriteRaw(header, [.. f16, .. bf16]);

        var loaded = SafetensorsFile.Read(_path);

        Assert.Equal(new[] { 1.5f, -0.25f }, loaded["a"].data<float>().ToArray());
        Assert.Equal(new[] { 3.0f, -10.0f }, loaded["b"].data<float>().ToArray());
    }

    [Fact]
    public void DataBeyondTheFileIsReported()
    {
        WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(_path));

        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedDtypeIsNamed()
    {
        WriteRaw("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(_path));

        Assert.Contains("U8", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => File.Delete(_path);

    private void WriteRaw(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new List<byte>(BitConverter.GetBytes((long)json.Length));
        bytes.AddRange(json);
        bytes.AddRange(data);
        File.WriteAllBytes(_path, bytes.ToArray());
    }
}
