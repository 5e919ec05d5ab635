using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace Emorl.Tokenization;

/// <summary>
/// The character normalisation rules compiled into a SentencePiece model's
/// <c>precompiled_charsmap</c>, such as T5's <c>nmt_nfkc</c> (NFKC plus mapping control and
/// whitespace characters to a space).
/// </summary>
/// <remarks>
/// The blob is a little-endian uint32 trie size, a darts-clone double-array trie over UTF-8 bytes
/// of that many bytes, then the replacement strings, each ending with a zero byte. Normalisation
/// scans the UTF-8 text and replaces the longest prefix that is a key of the trie with its replacement; a
/// character that starts no key is copied unchanged. This is SentencePiece's
/// <c>Normalizer::NormalizePrefix</c> without user-defined symbols.
/// </remarks>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] _units;
    private readonly byte[] _replacements;
    private readonly string _source;

    /// <exception cref="InvalidDataException">The blob is shorter than its declared trie.</exception>
    public PrecompiledCharsMap(ReadOnlySpan<byte> blob, string source)
    {
        _source = source;
        uint trieSize = blob.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(blob) : uint.MaxValue;
        if (trieSize == uint.MaxValue || trieSize % 4 != 0 || trieSize > (uint)(blob.Length - 4))
        {
            throw new InvalidDataException(
                $"{source} has a precompiled_charsmap of {blob.Length} bytes that declares a {trieSize}-byte trie; " +
                "the model is damaged.");
        }

        _units = new uint[trieSize / 4];
        for (int i = 0; i < _units.Length; i++)
        {
            _units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.Slice(4 + 4 * i));
        }

        _replacements = blob[(4 + (int)trieSize)..].ToArray();
    }

    /// <summary>Applies the rules to the whole text.</summary>
    /// <exception cref="InvalidDataException">The trie points outside the replacement strings.</exception>
    public string Normalize(string text)
    {
        byte[] input = Encoding.UTF8.GetBytes(text);
        var output = new ArrayBufferWriter<byte>(input.Length);
        int position = 0;
        while (position < input.Length)
        {
            var (length, value) = LongestPrefix(input.AsSpan(position));
            if (length > 0)
            {
                output.Write(Replacement(value));
                position += length;
                continue;
            }

            int characterLength = Math.Min(Utf8Length(input[position]), input.Length - position);
            output.Write(input.AsSpan(position, characterLength));
            position += characterLength;
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>Walks the double array along the key and returns the longest key that ends at a leaf.</summary>
    private (int Length, int Value) LongestPrefix(ReadOnlySpan<byte> key)
    {
        if (_units.Length == 0)
        {
            return (0, 0);
        }

        (int Length, int Value) longest = (0, 0);
        uint node = Offset(_units[0]);
        for (int i = 0; i < key.Length; i++)
        {
            node ^= key[i];
            if (node >= _units.Length || Label(_units[node]) != key[i])
            {
                break;
            }

            uint unit = _units[node];
            node ^= Offset(unit);
            if (HasLeaf(unit) && node < _units.Length)
            {
                longest = (i + 1, (int)(_units[node] & 0x7FFF_FFFFu));
            }
        }

        return longest;
    }

    private ReadOnlySpan<byte> Replacement(int offset)
    {
        if (offset >= _replacements.Length)
        {
            throw new InvalidDataException(
                $"{_source} has a precompiled_charsmap entry at offset {offset}, beyond its {_replacements.Length} " +
                "bytes of replacement strings; the model is damaged.");
        }

        var rest = _replacements.AsSpan(offset);
        int end = rest.IndexOf((byte)0);
        return end < 0 ? rest : rest[..end];
    }

    // darts-clone's unit layout: bits 0-7 label, bit 8 has-leaf, bit 9 offset scale, bits 10-31 offset;
    // a leaf unit has bit 31 set and stores the value in bits 0-30.
    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;

    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    private static int Utf8Length(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xF0 => 4,
        >= 0xE0 => 3,
        >= 0xC0 => 2,
        _ => 1,
    };
}
