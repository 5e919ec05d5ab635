using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace Emorl.Tokenization;

/// <summary>
/// Reads and writes the JSON form of a <see cref="CompactVocabularyTokenizer"/>.
/// </summary>
/// <remarks>
/// Format version 1 is one object with three properties: <c>formatVersion</c> (1),
/// <c>baseTokenizer</c> (<c>"gpt2"</c>) and <c>gpt2Ids</c>, the kept GPT-2 ids in compact-id order.
/// Unknown properties are ignored. Checking the id list itself is left to the caller.
/// </remarks>
internal static class CompactVocabularyFile
{
    /// <summary>The only format version this library writes and reads.</summary>
    internal const int FormatVersion = 1;

    private const string FormatVersionProperty = "formatVersion";
    private const string BaseTokenizerProperty = "baseTokenizer";
    private const string Gpt2IdsProperty = "gpt2Ids";
    private const string Fix = "Re-create it with CompactVocabularyTokenizer.Save.";

    /// <summary>Writes the document to <paramref name="stream"/>, leaving the stream open.</summary>
    internal static void Write(Stream stream, IReadOnlyList<int> gpt2Ids)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteNumber(FormatVersionProperty, FormatVersion);
        writer.WriteString(BaseTokenizerProperty, Gpt2Tokenizer.ModelName);
        writer.WriteStartArray(Gpt2IdsProperty);
        foreach (int id in gpt2Ids)
        {
            writer.WriteNumberValue(id);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Reads the id list, checking the format version and base tokenizer.</summary>
    /// <param name="stream">The JSON document, left open.</param>
    /// <param name="source">Names the file or stream in error messages, for example "File 'a.json'".</param>
    /// <exception cref="InvalidDataException">
    /// The document is not a version 1 compact vocabulary over GPT-2.
    /// </exception>
    internal static IReadOnlyList<int> Read(Stream stream, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source} is not valid JSON: {ex.Message} {Fix}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, $"its root is a JSON {root.ValueKind}, not an object.");
            }

            CheckFormatVersion(root, source);
            CheckBaseTokenizer(root, source);
            return ReadIds(root, source);
        }
    }

    private static void CheckFormatVersion(JsonElement root, string source)
    {
        JsonElement element = GetProperty(root, FormatVersionProperty, source);
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int version))
        {
            throw Invalid(source, $"'{FormatVersionProperty}' is {element.GetRawText()}, not an integer.");
        }

        if (version != FormatVersion)
        {
            throw new InvalidDataException(
                $"{source} has unknown format version {version}; this library reads version " +
                $"{FormatVersion}. Load it with the Emorl version that wrote it, or re-create it with " +
                "CompactVocabularyTokenizer.Save from this version.");
        }
    }

    private static void CheckBaseTokenizer(JsonElement root, string source)
    {
        JsonElement element = GetProperty(root, BaseTokenizerProperty, source);
        string? name = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (name != Gpt2Tokenizer.ModelName)
        {
            throw new InvalidDataException(
                $"{source} has base tokenizer {element.GetRawText()}, but only " +
                $"\"{Gpt2Tokenizer.ModelName}\" is supported. {Fix}");
        }
    }

    private static List<int> ReadIds(JsonElement root, string source)
    {
        JsonElement array = GetProperty(root, Gpt2IdsProperty, source);
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(source, $"'{Gpt2IdsProperty}' is a JSON {array.ValueKind}, not an array.");
        }

        var ids = new List<int>(array.GetArrayLength());
        foreach (JsonElement element in array.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int id))
            {
                throw Invalid(
                    source, $"'{Gpt2IdsProperty}'[{ids.Count}] is {element.GetRawText()}, not an integer.");
            }

            ids.Add(id);
        }

        return ids;
    }

    private static JsonElement GetProperty(JsonElement root, string name, string source) =>
        root.TryGetProperty(name, out JsonElement element)
            ? element
            : throw Invalid(source, $"the property '{name}' is missing.");

    private static InvalidDataException Invalid(string source, string problem) =>
        new($"{source} is not a compact vocabulary: {problem} {Fix}");
}
