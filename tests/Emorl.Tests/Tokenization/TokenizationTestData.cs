using System.Collections.Generic;
using System.Linq;

namespace Emorl.Tests.Tokenization;

/// <summary>
/// Shared texts for tokenizer tests: a small English counselling-style corpus and strings that are
/// hard to round-trip.
/// </summary>
public static class TokenizationTestData
{
    private static readonly string[] s_speakers =
    [
        "I", "My partner", "My mother", "My best friend", "My manager", "My brother", "My teacher", "Nobody",
    ];

    private static readonly string[] s_feelings =
    [
        "feel anxious", "get angry", "feel lonely", "cannot sleep", "want to give up", "feel much better",
    ];

    private static readonly string[] s_situations =
    [
        "before an exam.", "after we argue about money.", "when the house is quiet at night.",
        "whenever work piles up.", "if plans change at the last minute.", "during long weekends alone.",
        "when someone asks how I am doing.", "because the doctor has not called back.",
    ];

    /// <summary>Gets strings that stress byte-level round-tripping, including the empty string.</summary>
    public static IReadOnlyList<string> HardStrings { get; } =
    [
        "I feel 😞 today",
        "naïve café",
        "我今天感觉很焦虑，不知道该怎么办。",
        "She said “it’s fine” but it wasn’t",
        "line1\r\nline2",
        "  spaced  ",
        "",
        "Ünïcödé ßtraße, Ελληνικά, русский, עברית, हिन्दी",
        "family: 👨‍👩‍👧‍👦, flag: 🇺🇦, skin tone: 👍🏽",
        "tab\tand\nnewline\n\n\nend",
        "a literal <|endoftext|> marker",
        "\u00A0non-breaking\u200Bzero-width\uFEFF",
        "café" + "\u0301" + " combining accent",
    ];

    /// <summary>Gets 384 short English sentences in the style of counselling prompts.</summary>
    public static IReadOnlyList<string> EnglishCorpus { get; } =
        (from speaker in s_speakers
         from feeling in s_feelings
         from situation in s_situations
         select $"{speaker} said that I {feeling} {situation}").ToList();

    /// <summary>Gets hard strings as xUnit theory rows.</summary>
    public static TheoryData<string> HardStringRows()
    {
        var rows = new TheoryData<string>();
        foreach (string text in HardStrings)
        {
            rows.Add(text);
        }

        return rows;
    }
}
