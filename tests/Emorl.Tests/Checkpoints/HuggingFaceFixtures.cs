using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace Emorl.Tests.Checkpoints;

/// <summary>
/// Writes Hugging Face and PyTorch checkpoint files from their published formats, without the
/// library's readers or writers, so the loader is tested against bytes it did not produce.
/// </summary>
internal static class HuggingFaceFixtures
{
    /// <summary>One tensor to write: its key, the file's dtype name, shape and raw little-endian bytes.</summary>
    public sealed record RawTensor(string Name, string Dtype, long[] Shape, byte[] Data);

    /// <summary>Writes a safetensors file: 8-byte header length, JSON header, then the data in entry order.</summary>
    public static void WriteSafetensors(string path, IEnumerable<RawTensor> tensors, string? metadataJson = null)
    {
        var list = tensors.ToList();
        var header = new StringBuilder("{");
        if (metadataJson is not null)
        {
            header.Append("\"__metadata__\":").Append(metadataJson).Append(',');
        }

        long offset = 0;
        foreach (var t in list)
        {
            header.Append(CultureInfo.InvariantCulture,
                $"\"{t.Name}\":{{\"dtype\":\"{t.Dtype}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{offset},{offset + t.Data.Length}]}},");
            offset += t.Data.Length;
        }

        header.Length--;
        header.Append('}');
        byte[] json = Encoding.UTF8.GetBytes(header.ToString());
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((ulong)json.Length));
        stream.Write(json);
        foreach (var t in list)
        {
            stream.Write(t.Data);
        }
    }

    /// <summary>One tensor of a PyTorch zip: a view (offset, shape, stride) of a storage with a key and type.</summary>
    public sealed record TorchTensor(string Name, string StorageKey, string StorageType, long StorageOffset, long[] Shape, long[] Stride);

    /// <summary>
    /// Writes what torch.save(state_dict) writes: a zip with archive/data.pkl (pickle protocol 2 with
    /// persistent storage ids), archive/byteorder and one archive/data/KEY file per storage.
    /// </summary>
    public static void WritePyTorchZip(string path, IReadOnlyList<TorchTensor> tensors, IReadOnlyDictionary<string, byte[]> storages,
        IReadOnlyDictionary<string, long> storageElements, byte[]? pickleOverride = null)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        WriteEntry(zip, "archive/data.pkl", pickleOverride ?? StateDictPickle(tensors, storageElements));
        WriteEntry(zip, "archive/byteorder", Encoding.ASCII.GetBytes("little"));
        foreach (var (key, data) in storages)
        {
            WriteEntry(zip, "archive/data/" + key, data);
        }

        WriteEntry(zip, "archive/version", Encoding.ASCII.GetBytes("3\n"));
    }

    /// <summary>Builds the pickle of an OrderedDict of tensors as torch.save does with protocol 2.</summary>
    public static byte[] StateDictPickle(IReadOnlyList<TorchTensor> tensors, IReadOnlyDictionary<string, long> storageElements)
    {
        var p = new List<byte> { 0x80, 2 };
        Global(p, "collections", "OrderedDict");
        p.Add((byte)')');
        p.Add((byte)'R');
        p.Add((byte)'(');
        foreach (var t in tensors)
        {
            Unicode(p, t.Name);
            Global(p, "torch._utils", "_rebuild_tensor_v2");
            p.Add((byte)'(');
            p.Add((byte)'(');
            Unicode(p, "storage");
            Global(p, "torch", t.StorageType);
            Unicode(p, t.StorageKey);
            Unicode(p, "cpu");
            Int(p, storageElements[t.StorageKey]);
            p.Add((byte)'t');
            p.Add((byte)'Q');
            Int(p, t.StorageOffset);
            Tuple(p, t.Shape);
            Tuple(p, t.Stride);
            p.Add(0x89);
            Global(p, "collections", "OrderedDict");
            p.Add((byte)')');
            p.Add((byte)'R');
            p.Add((byte)'t');
            p.Add((byte)'R');
        }

        p.Add((byte)'u');
        p.Add((byte)'.');
        return p.ToArray();
    }

    /// <summary>Appends GLOBAL module\nname\n.</summary>
    public static void Global(List<byte> p, string module, string name)
    {
        p.Add((byte)'c');
        p.AddRange(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
    }

    /// <summary>Appends BINUNICODE with a 4-byte length.</summary>
    public static void Unicode(List<byte> p, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        p.Add((byte)'X');
        p.AddRange(BitConverter.GetBytes((uint)bytes.Length));
        p.AddRange(bytes);
    }

    /// <summary>Appends BININT1 for values under 256, otherwise BININT (4-byte signed).</summary>
    public static void Int(List<byte> p, long value)
    {
        if (value is >= 0 and < 256)
        {
            p.Add((byte)'K');
            p.Add((byte)value);
            return;
        }

        p.Add((byte)'J');
        p.AddRange(BitConverter.GetBytes((int)value));
    }

    private static void Tuple(List<byte> p, long[] values)
    {
        p.Add((byte)'(');
        foreach (long value in values)
        {
            Int(p, value);
        }

        p.Add((byte)'t');
    }

    private static void WriteEntry(ZipArchive zip, string name, byte[] data)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var stream = entry.Open();
        stream.Write(data);
    }

    /// <summary>Returns the little-endian bytes of floats as F32, F16 or BF16 (BF16 by truncating the float's low half).</summary>
    public static byte[] Encode(float[] values, string dtype) => dtype switch
    {
        "F32" => values.SelectMany(BitConverter.GetBytes).ToArray(),
        "F16" => values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(),
        "BF16" => values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray(),
        _ => throw new ArgumentException($"No float encoding for {dtype}.", nameof(dtype)),
    };

    /// <summary>Lists the parameter shapes of Hugging Face's GPT2Model (without the transformer. prefix).</summary>
    public static IEnumerable<(string Name, long[] Shape)> Gpt2Shapes(int vocabulary, int positions, int hidden, int layers)
    {
        yield return ("wte.weight", [vocabulary, hidden]);
        yield return ("wpe.weight", [positions, hidden]);
        for (int i = 0; i < layers; i++)
        {
            yield return ($"h.{i}.ln_1.weight", [hidden]);
            yield return ($"h.{i}.ln_1.bias", [hidden]);
            yield return ($"h.{i}.attn.c_attn.weight", [hidden, 3 * hidden]);
            yield return ($"h.{i}.attn.c_attn.bias", [3 * hidden]);
            yield return ($"h.{i}.attn.c_proj.weight", [hidden, hidden]);
            yield return ($"h.{i}.attn.c_proj.bias", [hidden]);
            yield return ($"h.{i}.ln_2.weight", [hidden]);
            yield return ($"h.{i}.ln_2.bias", [hidden]);
            yield return ($"h.{i}.mlp.c_fc.weight", [hidden, 4 * hidden]);
            yield return ($"h.{i}.mlp.c_fc.bias", [4 * hidden]);
            yield return ($"h.{i}.mlp.c_proj.weight", [4 * hidden, hidden]);
            yield return ($"h.{i}.mlp.c_proj.bias", [hidden]);
        }

        yield return ("ln_f.weight", [hidden]);
        yield return ("ln_f.bias", [hidden]);
    }

    /// <summary>Returns seeded values for a parameter: near one for layer-norm weights, small noise otherwise.</summary>
    public static float[] Values(string name, long[] shape, Random random)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        bool normWeight = name.Contains("ln_", StringComparison.Ordinal) && name.EndsWith("weight", StringComparison.Ordinal);
        return Enumerable.Range(0, (int)count)
            .Select(_ => normWeight ? 1f + (float)(random.NextDouble() - 0.5) * 0.1f : (float)(random.NextDouble() - 0.5) * 0.1f)
            .ToArray();
    }

    /// <summary>Writes a GPT2Config config.json with the given sizes and any extra "key": value text.</summary>
    public static void WriteConfig(string directory, int vocabulary, int positions, int hidden, int layers, int heads, string extra = "")
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "activation_function": "gelu_new",
              "architectures": ["GPT2LMHeadModel"],
              "attn_pdrop": 0.1,
              "bos_token_id": {{vocabulary - 1}},
              "embd_pdrop": 0.1,
              "eos_token_id": {{vocabulary - 1}},
              "initializer_range": 0.02,
              "layer_norm_epsilon": 1e-05,
              "model_type": "gpt2",
              "n_ctx": {{positions}},
              "n_embd": {{hidden}},
              "n_head": {{heads}},
              "n_inner": null,
              "n_layer": {{layers}},
              "n_positions": {{positions}},
              "reorder_and_upcast_attn": false,
              "resid_pdrop": 0.1,
              "scale_attn_by_inverse_layer_idx": false,
              "scale_attn_weights": true,
              "summary_activation": null,
              "summary_first_dropout": 0.1,
              "summary_proj_to_labels": true,
              "summary_type": "cls_index",
              "summary_use_proj": true,
              "torch_dtype": "float32",
              "transformers_version": "4.44.2",
              {{extra}}
              "use_cache": true,
              "vocab_size": {{vocabulary}}
            }
            """));
    }

    /// <summary>The merges of the tiny byte-level BPE fixture, in rank order.</summary>
    public static readonly string[] TinyMerges = ["Ġ t", "h e", "Ġt he", "Ġ c", "a t", "Ġc at"];

    /// <summary>GPT-2's reversible map from bytes to printable characters (bytes_to_unicode in its encoder).</summary>
    public static char[] ByteToCharacter()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1)
            .Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1))
            .ToList();
        var map = new char[256];
        int extra = 0;
        foreach (int b in printable)
        {
            map[b] = (char)b;
        }

        for (int b = 0; b < 256; b++)
        {
            if (!printable.Contains(b))
            {
                map[b] = (char)(256 + extra++);
            }
        }

        return map;
    }

    /// <summary>
    /// Returns the tiny vocabulary: the 256 byte tokens in GPT-2's order (printable bytes first), one
    /// token per merge, then &lt;|endoftext|&gt;.
    /// </summary>
    public static List<string> TinyVocabulary()
    {
        var map = ByteToCharacter();
        var order = Enumerable.Range(0, 256).OrderBy(b => map[b] == (char)b ? 0 : 1).ThenBy(b => map[b] == (char)b ? b : map[b]).ToList();
        var tokens = order.Select(b => map[b].ToString()).ToList();
        tokens.AddRange(TinyMerges.Select(m => m.Replace(" ", "", StringComparison.Ordinal)));
        tokens.Add("<|endoftext|>");
        return tokens;
    }

    /// <summary>Writes vocab.json and merges.txt, or tokenizer.json, of the tiny byte-level BPE.</summary>
    public static void WriteTinyTokenizer(string directory, bool asTokenizerJson = false)
    {
        Directory.CreateDirectory(directory);
        var vocabulary = TinyVocabulary();
        string vocabJson = "{" + string.Join(",", vocabulary.Select((t, i) => $"{JsonString(t)}:{i}")) + "}";
        if (!asTokenizerJson)
        {
            File.WriteAllText(Path.Combine(directory, "vocab.json"), vocabJson);
            File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\n" + string.Join("\n", TinyMerges) + "\n");
            return;
        }

        string merges = string.Join(",", TinyMerges.Select(m => $"[{JsonString(m.Split(' ')[0])},{JsonString(m.Split(' ')[1])}]"));
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), $$$"""
            {"version":"1.0","truncation":null,"padding":null,
             "added_tokens":[{"id":{{{vocabulary.Count - 1}}},"content":"<|endoftext|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":true,"special":true}],
             "normalizer":null,
             "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
             "post_processor":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true},
             "decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
             "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"","end_of_word_suffix":"","fuse_unk":false,"byte_fallback":false,
               "vocab":{{{vocabJson}}},"merges":[{{{merges}}}]}}
            """);
    }

    private static string JsonString(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
