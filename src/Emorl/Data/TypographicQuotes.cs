using System;
using System.Buffers;

namespace Emorl.Data;

/// <summary>
/// Replaces typographic (curly) quotation marks with their ASCII forms.
/// </summary>
/// <remarks>
/// PAIR text uses both curly and straight quotes, often in one sentence ("I don’t" beside
/// "don't"). Loaders keep text as written, so call this where a tokenizer or a comparison should
/// see one form.
/// </remarks>
public static class TypographicQuotes
{
    private static readonly SearchValues<char> s_typographicQuotes =
        SearchValues.Create("\u2018\u2019\u201B\u201C\u201D\u201F");

    /// <summary>
    /// Replaces ‘ ’ ‛ (U+2018, U+2019, U+201B) with an apostrophe and “ ” ‟ (U+201C, U+201D, U+201F)
    /// with a double quote.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with ASCII quotes, or the same instance when it had no typographic quote.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    public static string ToAscii(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        if (text.AsSpan().IndexOfAny(s_typographicQuotes) < 0)
        {
            return text;
        }

        return string.Create(text.Length, text, static (destination, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = source[i] switch
                {
                    '\u2018' or '\u2019' or '\u201B' => '\'',
                    '\u201C' or '\u201D' or '\u201F' => '"',
                    char other => other,
                };
            }
        });
    }
}
