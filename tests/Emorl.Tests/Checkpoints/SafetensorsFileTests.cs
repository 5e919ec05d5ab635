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
    public void EveryDtypeRoundTripsInItsOwnType()
    {
        using var f64 = tensor(new double[] { 1e-300, -2.5 });
        using var f32 = tensor(new float[] { 1.5f, -2f });
        using var f16 = tensor(new float[] { 0.5f, -3f }).to(ScalarType.Float16);
        using var bf16 = tensor(new float[] { 3f, -10f }).to(ScalarType.BFloat16);
        using var i64 = tensor(new long[] { 1L << 40, -7 });
        using var i32 = tensor(new int[] { int.MinValue, 9 });
        using var i16 = tensor(new short[] { short.MaxValue, -3 });
        using var i8 = tensor(new sbyte[] { -128, 5 });
        using var u8 = tensor(new byte[] { 255, 0 });
        using var flags = tensor(new bool[] { true, false });
        (string, Tensor)[] all = [("f64", f64), ("f32", f32), ("f16", f16), ("bf16", bf16), ("i64", i64),
            ("i32", i32), ("i16", i16), ("i8", i8), ("u8", u8), ("bool", flags)];

        SafetensorsFile.Write(_path, all);
        var loaded = SafetensorsFile.Read(_path);

        foreach (var (name, original) in all)
        {
            Assert.Equal(original.dtype, loaded[name].dtype);
            Assert.True(original.equal(loaded[name]).all().item<bool>(), $"{name} differs after the round trip");
            loaded[name].Dispose();
        }
    }

    [Fact]
    public void HeaderUsesFormatDtypeNames()
    {
        using var i16 = tensor(new short[] { 1 });
        using var flags = tensor(new bool[] { true });
        using var bf16 = tensor(new float[] { 1f }).to(ScalarType.BFloat16);

        SafetensorsFile.Write(_path, [("a", i16), ("b", flags), ("c", bf16)]);
        var bytes = File.ReadAllBytes(_path);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToInt64(bytes, 0));

        Assert.Contains("\"a\":{\"dtype\":\"I16\"", header, StringComparison.Ordinal);
        Assert.Contains("\"b\":{\"dtype\":\"BOOL\"", header, StringComparison.Ordinal);
        Assert.Contains("\"c\":{\"dtype\":\"BF16\"", header, StringComparison.Ordinal);
    }

    [Fact]
    public void HandWrittenIntegerAndBoolTensorsRead()
    {
        var i16 = new short[] { -2, 300 }.SelectMany(BitConverter.GetBytes).ToArray();
        WriteRaw(
            "{\"__metadata__\":{\"format\":\"pt\"},\"flags\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}," +
            "\"n\":{\"dtype\":\"I16\",\"shape\":[2,1],\"data_offsets\":[3,7]}}",
            [1, 0, 1, .. i16]);

        using var reader = SafetensorsReader.Open(_path);
        using var flags = reader.ReadTensor("flags");
        using var n = reader.ReadTensor("n");

        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Equal(new[] { true, false, true }, flags.data<bool>().ToArray());
        Assert.Equal(new long[] { 2, 1 }, n.shape);
        Assert.Equal((short)300, n[1, 0].item<short>());
    }

    [Fact]
    public void HalfPrecisionTensorsKeepTheirType()
    {
        // Written by hand from the format: header length, JSON header, then little-endian data.
        var f16 = new[] { (Half)1.5f, (Half)(-0.25f) }.SelectMany(h => BitConverter.GetBytes(h)).ToArray();
        var bf16 = new[] { 3.0f, -10.0f }.SelectMany(f => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(f) >> 16))).ToArray();
        string header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        WriteRaw(header, [.. f16, .. bf16]);

        var loaded = SafetensorsFile.Read(_path);

        Assert.Equal(ScalarType.Float16, loaded["a"].dtype);
        Assert.Equal(ScalarType.BFloat16, loaded["b"].dtype);
        Assert.Equal(new[] { 1.5f, -0.25f }, loaded["a"].to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new[] { 3.0f, -10.0f }, loaded["b"].to(ScalarType.Float32).data<float>().ToArray());
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
        WriteRaw("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(_path));

        Assert.Contains("F8_E4M3", error.Message, StringComparison.Ordinal);
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
