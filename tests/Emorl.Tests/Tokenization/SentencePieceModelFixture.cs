using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Emorl.Tests.Tokenization;

/// <summary>
/// Writes a small SentencePiece Unigram model in the protobuf wire format by hand, so the
/// tokenizer tests do not depend on the reader they test.
/// </summary>
/// <remarks>
/// Field numbers follow sentencepiece_model.proto: ModelProto.pieces = 1, trainer_spec = 2,
/// normalizer_spec = 3; SentencePiece.piece = 1, score = 2 (float), type = 3; TrainerSpec.model_type
/// = 3, unk_id = 40, bos_id = 41, eos_id = 42, pad_id = 43; NormalizerSpec.name = 1,
/// precompiled_charsmap = 2, add_dummy_prefix = 3, remove_extra_whitespaces = 4, escape_whitespaces = 5. Piece types: NORMAL 1,
/// UNKNOWN 2, CONTROL 3, USER_DEFINED 4.
/// </remarks>
internal static class SentencePieceModelFixture
{
    public const int Normal = 1;
    public const int Unknown = 2;
    public const int Control = 3;
    public const int UserDefined = 4;

    /// <summary>The pieces of the T5-style fixture: pad 0, eos 1, unk 2, no BOS.</summary>
    public static IReadOnlyList<(string Piece, float Score, int Type)> Pieces { get; } =
    [
        ("<pad>", 0f, Control),       // 0
        ("</s>", 0f, Control),        // 1
        ("<unk>", 0f, Unknown),       // 2
        ("\u2581", -2.0f, Normal),    // 3  ▁
        ("\u2581the", -1.0f, Normal), // 4  ▁the
        ("\u2581cat", -2.0f, Normal), // 5  ▁cat
        ("\u2581ca", -1.0f, Normal),  // 6  ▁ca
        ("ts", -1.0f, Normal),        // 7
        ("s", -3.0f, Normal),         // 8
        ("t", -3.5f, Normal),         // 9
        ("h", -3.6f, Normal),         // 10
        ("e", -3.2f, Normal),         // 11
        ("a", -4.0f, Normal),         // 12
        ("c", -4.0f, Normal),         // 13
    ];

    /// <summary>Returns the bytes of the T5-style fixture model.</summary>
    public static byte[] T5Style(string normalizerName = "identity", byte[]? charsmap = null) =>
        Build(Pieces, modelType: 1, unkId: 2, bosId: -1, eosId: 1, padId: 0, normalizerName, charsmap);

    /// <summary>Builds a ModelProto from pieces and the special ids.</summary>
    public static byte[] Build(
        IReadOnlyList<(string Piece, float Score, int Type)> pieces,
        int modelType,
        int unkId,
        int bosId,
        int eosId,
        int padId,
        string normalizerName,
        byte[]? charsmap = null)
    {
        using var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            using var message = new MemoryStream();
            WriteString(message, 1, piece);
            WriteTag(message, 2, wireType: 5);
            message.Write(BitConverter.GetBytes(score));
            WriteVarintField(message, 3, type);
            WriteBytes(model, 1, message.ToArray());
        }

        using var trainer = new MemoryStream();
        WriteVarintField(trainer, 3, modelType);
        WriteVarintField(trainer, 40, unkId);
        WriteVarintField(trainer, 41, bosId);
        WriteVarintField(trainer, 42, eosId);
        WriteVarintField(trainer, 43, padId);
        WriteBytes(model, 2, trainer.ToArray());

        using var normalizer = new MemoryStream();
        WriteString(normalizer, 1, normalizerName);
        if (charsmap is not null)
        {
            WriteBytes(normalizer, 2, charsmap);
        }

        WriteVarintField(normalizer, 3, 1);
        WriteVarintField(normalizer, 4, 1);
        WriteVarintField(normalizer, 5, 1);
        WriteBytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static void WriteString(Stream stream, int field, string value) =>
        WriteBytes(stream, field, Encoding.UTF8.GetBytes(value));

    private static void WriteBytes(Stream stream, int field, byte[] value)
    {
        WriteTag(stream, field, wireType: 2);
        WriteVarint(stream, (ulong)value.Length);
        stream.Write(value);
    }

    private static void WriteVarintField(Stream stream, int field, int value)
    {
        WriteTag(stream, field, wireType: 0);

        // Protobuf sign-extends a negative int32 to 64 bits, so -1 takes ten bytes.
        WriteVarint(stream, unchecked((ulong)(long)value));
    }

    private static void WriteTag(Stream stream, int field, int wireType) =>
        WriteVarint(stream, (ulong)((field << 3) | wireType));

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }
}
