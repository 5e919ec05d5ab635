using System;
using System.IO;
using CounselorReflection;

namespace Emorl.Tests.Samples;

public sealed class CounselorReflectionInputTests
{
    [Theory]
    [InlineData("--out")]
    [InlineData("--data")]
    public void EmptyPathOptionIsRejected(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => SampleOptions.Parse([name, ""]));

        Assert.Equal($"Option {name} is empty; pass a value, or leave the option out for its default.", error.Message);
    }

    [Fact]
    public void EmptyRunFolderIsRejectedByGenerate()
    {
        var error = Assert.Throws<ArgumentException>(() => GenerateOptions.Parse(["--from", " ", "x"]));

        Assert.StartsWith("Option --from is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DoubleDashEndsGenerateOptions()
    {
        var options = GenerateOptions.Parse(["--weights", "1,0,0", "--", "--I said no", "ok"]);

        Assert.Equal(["--I said no", "ok"], options.Statements);
        Assert.Equal([1.0, 0.0, 0.0], options.Weights);
    }

    [Theory]
    [InlineData("{", "is not valid JSON")]
    [InlineData("[]", "\"objectives\" must be a non-empty list of objective names")]
    [InlineData("{\"x\": 1}", "\"objectives\" must be a non-empty list of objective names")]
    [InlineData("{\"objectives\": [1, 2]}", "\"objectives\" must be a non-empty list of objective names")]
    [InlineData("{\"objectives\": [\"../base\"]}", "\"objectives\" must be a non-empty list of objective names")]
    [InlineData("{\"objectives\": [\"a\"], \"search\": {\"best_weights\": [\"q\"]}}", "\"search.best_weights\" must be a list of numbers")]
    [InlineData("{\"objectives\": [\"a\"], \"max_new_tokens\": \"many\"}", "\"max_new_tokens\" must be a whole number ≥ 1")]
    public void DamagedReportIsNamedByGenerate(string report, string expected)
    {
        string folder = Path.Combine(Path.GetTempPath(), "emorl-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "report.json"), report);
            var options = GenerateOptions.Parse(["--from", folder, "x"]);

            var error = Assert.Throws<InvalidDataException>(() => GenerateCommand.Run(options, new StringReader(""), new StringWriter(), default));

            Assert.Contains(Path.Combine(folder, "report.json"), error.Message, StringComparison.Ordinal);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
