using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace Emorl.Tokenization;

/// <summary>
/// A GPT-2-style byte-level BPE tokenizer read from a Hugging Face checkpoint directory:
/// <c>vocab.json</c> with <c>merges.txt</c>, or <c>tokenizer.json</c>.
/// </summary>
/// <remarks>
/// <para>
/// Encoding and decoding use Microsoft.ML.Tokenizers 3.0.0's <see cref="CodeGenTokenizer"/>, which
/// implements GPT-2's byte-level BPE over the same two files. No prefix space is added and no special
/// token is inserted, as for Hugging Face's <c>GPT2Tokenizer</c> with its defaults.
/// </para>
/// <para>
/// A <c>tokenizer.json</c> must describe a BPE model with a ByteLevel pre-tokenizer (GPT-2, DistilGPT-2,
/// GPT-Neo and similar); its added tokens join the vocabulary. Thread-safe for concurrent reads.
/// </para>
/// </remarks>
public sealed class Gpt2BpeTokenizer : ITextTokenizer
{
    /// <summary>The vocabulary file name in a Hugging Face directory.</summary>
    public const string VocabularyFileName = "vocab.json";

    /// <summary>The merges file name in a Hugging Face directory.</summary>
    public const string MergesFileName = "merges.txt";

    /// <summary>The fast-tokenizer file name in a Hugging Face directory.</summary>
    public const string TokenizerJsonFileName = "tokenizer.json";

    /// <summary>GPT-2's end-of-text token.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    private readonly CodeGenTokenizer _tokenizer;
    private readonly string _vocabularyJson;
    private readonly string _merges;

    private Gpt2BpeTokenizer(string vocabularyJson, string merges, bool addPrefixSpace, string source)
    {
        _vocabularyJson = vocabularyJson;
        _merges = merges;
        Dictionary<string, int> vocabulary;
        try
        {
            vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabularyJson)
                ?? throw new InvalidDataException($"The vocabulary of '{source}' is empty.");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException(
                $"The vocabulary of '{source}' is not a JSON object of token → id ({error.Message}).", error);
        }

        if (vocabulary.Count == 0 || vocabulary.Values.Any(id => id < 0))
        {
            throw new InvalidDataException($"The vocabulary of '{source}' is empty or has a negative id.");
        }

        VocabularySize = vocabulary.Values.Max() + 1;
        EndOfTextId = vocabulary.TryGetValue(EndOfTextToken, out int endOfText)
            ? endOfText
            : throw new InvalidDataException(
                $"The vocabulary of '{source}' has no {EndOfTextToken} token; GPT-2-family tokenizers end text with it.");

        using var vocabularyStream = new MemoryStream(Encoding.UTF8.GetBytes(vocabularyJson));
        using var mergesStream = new MemoryStream(Encoding.UTF8.GetBytes(merges));
        _tokenizer = CodeGenTokenizer.Create(vocabularyStream, mergesStream, addPrefixSpace);
        AddPrefixSpace = addPrefixSpace;
    }

    /// <summary>Gets the number of token ids: one more than the largest id in the vocabulary.</summary>
    public int VocabularySize { get; }

    /// <summary>Gets the id of <c>&lt;|endoftext|&gt;</c>.</summary>
    public int EndOfTextId { get; }

    /// <summary>Gets whether a space is added before the text, as ByteLevel's <c>add_prefix_space</c> does.</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>Loads the tokenizer of a Hugging Face directory, preferring vocab.json with merges.txt over tokenizer.json.</summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="FileNotFoundException">The directory has neither vocab.json with merges.txt nor tokenizer.json.</exception>
    /// <exception cref="InvalidDataException">A file is not a byte-level BPE tokenizer.</exception>
    public static Gpt2BpeTokenizer Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string vocabulary = Path.Combine(directory, VocabularyFileName);
        string merges = Path.Combine(directory, MergesFileName);
        string tokenizerJson = Path.Combine(directory, TokenizerJsonFileName);
        if (File.Exists(vocabulary) && File.Exists(merges))
        {
            return FromFiles(vocabulary, merges);
        }

        if (File.Exists(tokenizerJson))
        {
            return FromTokenizerJson(tokenizerJson);
        }

        throw new FileNotFoundException(
            $"'{directory}' has no tokenizer: it needs {VocabularyFileName} with {MergesFileName}, or {TokenizerJsonFileName}. " +
            "Save the tokenizer with tokenizer.save_pretrained(directory).", tokenizerJson);
    }

    /// <summary>Creates the tokenizer from a vocab.json and a merges.txt file.</summary>
    /// <param name="vocabularyPath">The vocab.json file: a JSON object from byte-level token to id.</param>
    /// <param name="mergesPath">The merges.txt file: an optional <c>#version</c> line, then one "left right" pair per line.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="InvalidDataException">The vocabulary is invalid or lacks <c>&lt;|endoftext|&gt;</c>.</exception>
    public static Gpt2BpeTokenizer FromFiles(string vocabularyPath, string mergesPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesPath);
        return new Gpt2BpeTokenizer(File.ReadAllText(vocabularyPath), File.ReadAllText(mergesPath), false, vocabularyPath);
    }

    /// <summary>Creates the tokenizer from a Hugging Face tokenizer.json file.</summary>
    /// <param name="path">The tokenizer.json file.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="InvalidDataException">The file does not describe a byte-level BPE tokenizer.</exception>
    public static Gpt2BpeTokenizer FromTokenizerJson(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"'{path}' does not hold a JSON object.");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON ({error.Message}).", error);
        }

        var model = root["model"] as JsonObject;
        string? type = model?["type"]?.GetValue<string>();
        if (model is null || type != "BPE" || model["vocab"] is not JsonObject vocabulary || model["merges"] is not JsonArray merges)
        {
            throw new InvalidDataException(
                $"'{path}' describes a '{type ?? "missing"}' model; this loader reads BPE models with a vocab object and a merges list.");
        }

        bool prefixSpace = ReadByteLevelPrefixSpace(root["pre_tokenizer"], path);
        foreach (var added in root["added_tokens"] as JsonArray ?? [])
        {
            if (added?["content"]?.GetValue<string>() is { } content && added["id"]?.GetValue<int>() is { } id)
            {
                vocabulary[content] = id;
            }
        }

        var mergeLines = new StringBuilder("#version: 0.2\n");
        foreach (var merge in merges)
        {
            // tokenizers 0.20 and later write a merge as ["left", "right"], earlier versions as "left right".
            string line = merge is JsonArray pair && pair.Count == 2
                ? pair[0]!.GetValue<string>() + " " + pair[1]!.GetValue<string>()
                : merge?.GetValue<string>() ?? throw new InvalidDataException($"'{path}' has a null merge.");
            mergeLines.Append(line).Append('\n');
        }

        return new Gpt2BpeTokenizer(vocabulary.ToJsonString(), mergeLines.ToString(), prefixSpace, path);
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.EncodeToIds(text, AddPrefixSpace, addBeginningOfSentence: false, addEndOfSentence: false);
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var kept = new List<int>();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabularySize)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(ids), id, $"Token id {id} is outside [0, {VocabularySize}); pass ids produced by this tokenizer.");
            }

            if (id != EndOfTextId)
            {
                kept.Add(id);
            }
        }

        return _tokenizer.Decode(kept, AddPrefixSpace, considerSpecialTokens: false) ?? string.Empty;
    }

    /// <summary>Writes vocab.json and merges.txt into a directory, so the tokenizer loads with <see cref="Load"/>.</summary>
    /// <param name="directory">The directory, created if missing; existing files are replaced.</param>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, VocabularyFileName), _vocabularyJson);
        File.WriteAllText(Path.Combine(directory, MergesFileName), _merges);
    }

    private static bool ReadByteLevelPrefixSpace(JsonNode? preTokenizer, string path)
    {
        var steps = preTokenizer?["type"]?.GetValue<string>() == "Sequence"
            ? (preTokenizer["pretokenizers"] as JsonArray ?? []).ToList()
            : [preTokenizer];
        var byteLevel = steps.FirstOrDefault(s => s?["type"]?.GetValue<string>() == "ByteLevel")
            ?? throw new InvalidDataException(
                $"'{path}' has no ByteLevel pre-tokenizer; this loader reads GPT-2-style byte-level BPE tokenizers only.");
        return byteLevel["add_prefix_space"]?.GetValue<bool>() ?? false;
    }
}
