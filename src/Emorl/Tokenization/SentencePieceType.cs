namespace Emorl.Tokenization;

/// <summary>The type of a SentencePiece vocabulary entry, as <c>SentencePiece.Type</c> numbers it.</summary>
public enum SentencePieceType
{
    /// <summary>An ordinary piece that segmentation may produce.</summary>
    Normal = 1,

    /// <summary>The unknown token, <c>&lt;unk&gt;</c>.</summary>
    Unknown = 2,

    /// <summary>A control token such as <c>&lt;/s&gt;</c> or <c>&lt;pad&gt;</c>, never produced from text and decoded to nothing.</summary>
    Control = 3,

    /// <summary>A user-defined piece, always kept whole when it occurs in the text.</summary>
    UserDefined = 4,

    /// <summary>A piece reserved during training and never produced.</summary>
    Unused = 5,

    /// <summary>A byte-fallback piece such as <c>&lt;0x41&gt;</c>.</summary>
    Byte = 6,
}
