using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Emorl.Checkpoints;

/// <summary>Reads typed values from a JSON configuration file, with errors that name the file and key.</summary>
internal sealed class JsonConfigFile
{
    private JsonConfigFile(string path, JsonObject root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }

    public JsonObject Root { get; }

    public static JsonConfigFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' is missing; the directory needs {System.IO.Path.GetFileName(path)}.", path);
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"'{path}' does not hold a JSON object; save the checkpoint again.");
            return new JsonConfigFile(path, root);
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON ({error.Message}); save the checkpoint again.", error);
        }
    }

    public bool IsSet(string key) => Root[key] is not null;

    public int ReadInt(string key) =>
        Read<int?>(key) ?? throw new InvalidDataException($"'{Path}' has no \"{key}\"; add it or save the checkpoint again.");

    public double ReadDouble(string key) =>
        Read<double?>(key) ?? throw new InvalidDataException($"'{Path}' has no \"{key}\"; add it or save the checkpoint again.");

    public T? Read<T>(string key)
    {
        var node = Root[key];
        try
        {
            return node is null ? default : node.GetValue<T>();
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException)
        {
            string expected = Nullable.GetUnderlyingType(typeof(T)) is { } inner
                ? (inner == typeof(bool) ? "true or false" : "number")
                : typeof(T).Name;
            throw new InvalidDataException(
                $"\"{key}\" in '{Path}' is {node!.ToJsonString()}, which is not a valid {expected}; fix the value.", error);
        }
    }
}
