using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using CounselorReflection;

namespace Emorl.Tests.Samples;

/// <summary>Runs the counselor sample twice in separate processes and compares the reports.</summary>
[Collection("Torch")]
public sealed class CounselorReflectionDeterminismTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"emorl-determinism-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void SameSeedGivesSameReport()
    {
        string first = Run("first");
        string second = Run("second");

        Assert.Equal(first, second);
    }

    /// <summary>Runs the tiny preset and returns its report.json without timings and machine fields.</summary>
    private string Run(string name)
    {
        string output = Path.Combine(_root, name);
        using (var child = ChildProcess.Start(typeof(CounselorRun).Assembly.Location, "--preset", "tiny", "--seed", "5", "--out", output))
        {
            child.WaitForSuccess();
        }

        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        RemoveMachineDependentFields(report);
        return report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static void RemoveMachineDependentFields(JsonNode? node)
    {
        if (node is JsonObject values)
        {
            foreach (string key in values.Select(p => p.Key).ToArray())
            {
                if (key == "machine" || key.EndsWith("seconds", StringComparison.Ordinal))
                {
                    values.Remove(key);
                }
                else
                {
                    RemoveMachineDependentFields(values[key]);
                }
            }
        }
        else if (node is JsonArray items)
        {
            foreach (var item in items)
            {
                RemoveMachineDependentFields(item);
            }
        }
    }
}
