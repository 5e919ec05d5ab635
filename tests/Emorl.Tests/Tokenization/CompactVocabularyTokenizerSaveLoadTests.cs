using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using Emorl.Tokenization;

namespace Emorl.Tests.Tokenization;

public sealed class CompactVocabularyTokenizerSaveLoadTests : IDisposable
{
    private static readonly Gpt2Tokenizer s_gpt2 = new();

    private static readonly CompactVocabularyTokenizer s_tokenizer =
        CompactVocabularyTokenizer.FromCorpus(s_gpt2, TokenizationTestData.EnglishCorpus);

    private readonly string _directory = Directory.CreateTempSubdirectory("emorl-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void LoadedFileGivesIdenticalEncodings()
    {
        string path = Path.Combine(_directory, "vocabulary.json");
        s_tokenizer.Save(path);

        var loaded = CompactVocabularyTokenizer.Load(path, s_gpt2);

        Assert.Equal(s_tokenizer.Gpt2Ids, loaded.Gpt2Ids);
        foreach (string text in TokenizationTestData.EnglishCorpus.Concat(TokenizationTestData.HardStrings))
        {
            Assert.Equal(s_tokenizer.Encode(text), loaded.Encode(text));
        }
    }

    [Fact]
    public void StreamRoundTripKeepsIds()
    {
        using var stream = new MemoryStream();
        s_tokenizer.Save(stream);
        stream.Position = 0;

        var loaded = CompactVocabularyTokenizer.Load(stream, s_gpt2);

        Assert.Equal(s_tokenizer.Gpt2Ids, loaded.Gpt2Ids);
    }

    [Fact]
    public void SavedFileHasVersionBaseNameAndIds()
    {
        using var stream = new MemoryStream();
        s_tokenizer.Save(stream);

        JsonNode root = JsonNode.Parse(stream.ToArray())!;

        Assert.Equal(1, (int)root["formatVersion"]!);
        Assert.Equal("gpt2", (string)root["baseTokenizer"]!);
        Assert.Equal(s_tokenizer.Gpt2Ids, root["gpt2Ids"]!.AsArray().Select(node => (int)node!));
    }

    [Theory]
    [InlineData("{ not json", "is not valid JSON")]
    [InlineData("[1, 2]", "its root is a JSON Array")]
    [InlineData("""{ "baseTokenizer": "gpt2", "gpt2Ids": [] }""", "'formatVersion' is missing")]
    [InlineData("""{ "formatVersion": 7, "baseTokenizer": "gpt2", "gpt2Ids": [] }""", "format version 7")]
    [InlineData("""{ "formatVersion": 1, "baseTokenizer": "t5", "gpt2Ids": [] }""", "base tokenizer \"t5\"")]
    [InlineData("""{ "formatVersion": 1, "baseTokenizer": "gpt2", "gpt2Ids": {} }""", "not an array")]
    [InlineData("""{ "formatVersion": 1, "baseTokenizer": "gpt2", "gpt2Ids": [0, "x"] }""", "[1] is \"x\"")]
    [InlineData("""{ "formatVersion": 1, "baseTokenizer": "gpt2", "gpt2Ids": [] }""", "The list is empty")]
    public void MalformedFileGivesClearError(string json, string expectedProblem)
    {
        string path = WriteFile(json);

        InvalidDataException exception = LoadInvalid(path);

        Assert.Contains(expectedProblem, exception.Message, StringComparison.Ordinal);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IdOutOfRangeGivesClearError()
    {
        string path = WriteIds(ids => ids[300] = 60000);

        InvalidDataException exception = LoadInvalid(path);

        Assert.Contains("[300] = 60000", exception.Message, StringComparison.Ordinal);
        Assert.Contains("outside [0, 50257)", exception.Message, StringComparison.Ordinal);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("Re-create it with", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateIdGivesClearError()
    {
        string path = WriteIds(ids => ids[300] = ids[299]);

        InvalidDataException exception = LoadInvalid(path);

        Assert.Contains("[300] =", exception.Message, StringComparison.Ordinal);
        Assert.Contains("repeats [299]", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingByteTokenGivesClearError()
    {
        int byteA = s_gpt2.GetByteTokenId((byte)'A');
        int zimbabwe = Assert.Single(s_gpt2.Encode(" Zimbabwe"));
        string path = WriteIds(ids => ids['A' + 1] = zimbabwe);

        InvalidDataException exception = LoadInvalid(path);

        Assert.Contains($"byte 0x41 (GPT-2 id {byteA})", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EndOfTextNotFirstGivesClearError()
    {
        string path = WriteIds(ids => (ids[0], ids[1]) = (ids[1], ids[0]));

        InvalidDataException exception = LoadInvalid(path);

        Assert.Contains("Element 0 is", exception.Message, StringComparison.Ordinal);
        Assert.Contains("end-of-text id 50256", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedFileGivesClearError()
    {
        using var stream = new MemoryStream();
        s_tokenizer.Save(stream);
        string path = WriteFile(Encoding.UTF8.GetString(stream.ToArray(), 0, (int)stream.Length / 2));

        InvalidDataException exception = LoadInvalid(path);

        Assert.Contains("is not valid JSON", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileThrowsFileNotFound()
    {
        string path = Path.Combine(_directory, "absent.json");

        Assert.Throws<FileNotFoundException>(() => CompactVocabularyTokenizer.Load(path, s_gpt2));
    }

    private static InvalidDataException LoadInvalid(string path) =>
        Assert.Throws<InvalidDataException>(() => CompactVocabularyTokenizer.Load(path, s_gpt2));

    private string WriteIds(Action<int[]> corrupt)
    {
        int[] ids = s_tokenizer.Gpt2Ids.ToArray();
        corrupt(ids);
        var root = new JsonObject
        {
            ["formatVersion"] = 1,
            ["baseTokenizer"] = "gpt2",
            ["gpt2Ids"] = new JsonArray(ids.Select(id => (JsonNode)id).ToArray()),
        };
        return WriteFile(root.ToJsonString());
    }

    private string WriteFile(string json)
    {
        string path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
