using System;
using System.Buffers.Binary;
using System.IO;

namespace Emorl.Tokenization;

/// <summary>
/// Reads the protocol buffers wire format field by field: varints, 32- and 64-bit fixed values and
/// length-delimited bytes, enough to parse a SentencePiece model without a protobuf library.
/// </summary>
/// <remarks>Wire format: https://protobuf.dev/programming-guides/encoding/.</remarks>
internal ref struct ProtobufReader
{
    public const int VarintType = 0;
    public const int Fixed64Type = 1;
    public const int LengthDelimitedType = 2;
    public const int Fixed32Type = 5;

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _source;
    private int _position;

    public ProtobufReader(ReadOnlySpan<byte> data, string source)
    {
        _data = data;
        _source = source;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>Reads the next tag and returns its field number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        int field = (int)(tag >> 3);
        if (field == 0)
        {
            throw Invalid("field number 0");
        }

        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte next = ReadByte();
            value |= (ulong)(next & 0x7F) << shift;
            if (next < 0x80)
            {
                return value;
            }
        }

        throw Invalid("a varint longer than 10 bytes");
    }

    /// <summary>Reads an int32 field, which protobuf sign-extends to a 64-bit varint when negative.</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    public float ReadFloat()
    {
        var bytes = Take(4);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes);
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw Invalid($"a {length}-byte field where {_data.Length - _position} bytes remain");
        }

        return Take((int)length);
    }

    /// <summary>Skips a field of the given wire type whose tag has just been read.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case VarintType:
                ReadVarint();
                break;
            case Fixed64Type:
                Take(8);
                break;
            case LengthDelimitedType:
                ReadLengthDelimited();
                break;
            case Fixed32Type:
                Take(4);
                break;
            default:
                throw Invalid($"wire type {wireType}");
        }
    }

    /// <summary>Checks that a field has the wire type its schema gives it.</summary>
    public readonly void Expect(int field, int wireType, int expected)
    {
        if (wireType != expected)
        {
            throw Invalid($"wire type {wireType} for field {field}, which should have wire type {expected}");
        }
    }

    private byte ReadByte()
    {
        if (_position >= _data.Length)
        {
            throw Invalid("data that ends inside a field");
        }

        return _data[_position++];
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw Invalid($"a field of {count} bytes where {_data.Length - _position} remain");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly InvalidDataException Invalid(string problem) =>
        new($"{_source} is not a valid SentencePiece model: it holds {problem} at byte {_position}. " +
            "The file is truncated or is not a SentencePiece .model file.");
}
