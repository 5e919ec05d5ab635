using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Emorl.Tokenization;

/// <summary>The parts of a SentencePiece <c>ModelProto</c> that Unigram encoding and decoding use.</summary>
/// <remarks>
/// Field numbers follow sentencepiece_model.proto of SentencePiece 0.1 and later. ModelProto: pieces 1,
/// trainer_spec 2, normalizer_spec 3. SentencePiece: piece 1, score 2, type 3. TrainerSpec: model_type
/// 3, byte_fallback 35, unk_id 40, bos_id 41, eos_id 42, pad_id 43. NormalizerSpec: name 1,
/// precompiled_charsmap 2, add_dummy_prefix 3, remove_extra_whitespaces 4, escape_whitespaces 5.
/// Absent fields take the proto's defaults.
/// </remarks>
internal sealed class SentencePieceModel
{
    public const int UnigramModelType = 1;

    public List<(string Piece, float Score, SentencePieceType Type)> Pieces { get; } = [];

    public int ModelType { get; private set; } = UnigramModelType;

    public bool ByteFallback { get; private set; }

    public int UnknownId { get; private set; }

    public int BeginOfSentenceId { get; private set; } = 1;

    public int EndOfSentenceId { get; private set; } = 2;

    public int PaddingId { get; private set; } = -1;

    public string NormalizerName { get; private set; } = string.Empty;

    public byte[] PrecompiledCharsmap { get; private set; } = [];

    public bool AddDummyPrefix { get; private set; } = true;

    public bool RemoveExtraWhitespaces { get; private set; } = true;

    public bool EscapeWhitespaces { get; private set; } = true;

    /// <exception cref="InvalidDataException">The bytes are not a valid ModelProto.</exception>
    public static SentencePieceModel Parse(ReadOnlySpan<byte> data, string source)
    {
        var model = new SentencePieceModel();
        var reader = new ProtobufReader(data, source);
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    reader.Expect(field, wireType, ProtobufReader.LengthDelimitedType);
                    model.Pieces.Add(ParsePiece(reader.ReadLengthDelimited(), source));
                    break;
                case 2:
                    reader.Expect(field, wireType, ProtobufReader.LengthDelimitedType);
                    model.ParseTrainerSpec(reader.ReadLengthDelimited(), source);
                    break;
                case 3:
                    reader.Expect(field, wireType, ProtobufReader.LengthDelimitedType);
                    model.ParseNormalizerSpec(reader.ReadLengthDelimited(), source);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return model;
    }

    private static (string, float, SentencePieceType) ParsePiece(ReadOnlySpan<byte> data, string source)
    {
        var reader = new ProtobufReader(data, source);
        string piece = string.Empty;
        float score = 0;
        var type = SentencePieceType.Normal;
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    reader.Expect(field, wireType, ProtobufReader.LengthDelimitedType);
                    piece = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                case 2:
                    reader.Expect(field, wireType, ProtobufReader.Fixed32Type);
                    score = reader.ReadFloat();
                    break;
                case 3:
                    reader.Expect(field, wireType, ProtobufReader.VarintType);
                    type = (SentencePieceType)reader.ReadInt32();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return (piece, score, type);
    }

    private void ParseTrainerSpec(ReadOnlySpan<byte> data, string source)
    {
        var reader = new ProtobufReader(data, source);
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            if (wireType != ProtobufReader.VarintType || field is not (3 or 35 or 40 or 41 or 42 or 43))
            {
                reader.Skip(wireType);
                continue;
            }

            int value = reader.ReadInt32();
            switch (field)
            {
                case 3: ModelType = value; break;
                case 35: ByteFallback = value != 0; break;
                case 40: UnknownId = value; break;
                case 41: BeginOfSentenceId = value; break;
                case 42: EndOfSentenceId = value; break;
                default: PaddingId = value; break;
            }
        }
    }

    private void ParseNormalizerSpec(ReadOnlySpan<byte> data, string source)
    {
        var reader = new ProtobufReader(data, source);
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == ProtobufReader.LengthDelimitedType:
                    NormalizerName = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                case 2 when wireType == ProtobufReader.LengthDelimitedType:
                    PrecompiledCharsmap = reader.ReadLengthDelimited().ToArray();
                    break;
                case 3 when wireType == ProtobufReader.VarintType:
                    AddDummyPrefix = reader.ReadVarint() != 0;
                    break;
                case 4 when wireType == ProtobufReader.VarintType:
                    RemoveExtraWhitespaces = reader.ReadVarint() != 0;
                    break;
                case 5 when wireType == ProtobufReader.VarintType:
                    EscapeWhitespaces = reader.ReadVarint() != 0;
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
    }
}
