using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using CounselorReflection;
using Emorl.Checkpoints;
using Emorl.Tests.Checkpoints;
using Emorl.Tests.Models.T5;
using Emorl.Tests.Tokenization;
using Emorl.Tokenization;
using static Emorl.Tests.Checkpoints.HuggingFaceFixtures;

namespace Emorl.Tests.Samples;

/// <summary>Runs the counselor sample on tiny GPT-2 and T5 checkpoint directories written by the test.</summary>
[Collection("Torch")]
public sealed class CounselorReflectionBaseModelTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "emorl-base-model-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void TinyRunOnCheckpointTrainsAggregatesAndGenerates()
    {
        string checkpoint = Path.Combine(_root, "gpt2-tiny");
        string output = Path.Combine(_root, "run");
        int vocabulary = WriteTinyCheckpoint(checkpoint);
        var options = SampleOptions.Parse(
            ["--preset", "tiny", "--base-model", checkpoint, "--out", output, "--seed", "3", "--rl-steps", "1", "--search-levels", "1"]);

        var report = new CounselorRun(options, default).Run();
        ReportWriter.Write(report, output);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        var warmup = json.RootElement.GetProperty("warmup");
        Assert.Equal(0, warmup.GetProperty("steps").GetInt32());
        Assert.Equal(vocabulary, warmup.GetProperty("vocabulary_size").GetInt32());
        Assert.True(File.Exists(Path.Combine(output, "base", "vocab.json")));
        Assert.False(File.Exists(Path.Combine(output, "base", "vocabulary.json")));
        var adapterKeys = SafetensorsFile.ReadMetadata(Path.Combine(output, "adapters", "fluency", Gpt2Checkpoint.AdapterFileName));
        Assert.Equal("pt", adapterKeys["format"]);
        AssertGenerateReplies(output);
    }

    [Fact]
    public void TinyRunOnT5CheckpointTrainsAggregatesAndGenerates()
    {
        string output = RunOnTinyT5Checkpoint();

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        Assert.Equal("t5", json.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("training").GetProperty("fluency").GetProperty("steps").GetInt32());
        Assert.True(json.RootElement.GetProperty("search").GetProperty("evaluations").GetInt32() > 0);
        Assert.True(File.Exists(Path.Combine(output, "base", "spiece.model")));
        Assert.Equal("t5", ModelCheckpoint.ReadArchitecture(Path.Combine(output, "base")));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "adapters", "empathy", "adapter_config.json")));
        Assert.Equal("SEQ_2_SEQ_LM", config.RootElement.GetProperty("task_type").GetString());
        using var savedBase = ModelCheckpoint.LoadModel(Path.Combine(output, "base"));
        var template = CounselorRun.CreateTemplate(BaseModelFiles.LoadTokenizer(Path.Combine(output, "base")), savedBase);
        Assert.True(template.EndsWithEndOfText, "T5 prompts should end with </s>, as Hugging Face's T5 tokenizer ends them");
        AssertGenerateReplies(output);
    }

    [Fact]
    public void GenerateReportsOverflowingWeights()
    {
        string output = RunOnTinyT5Checkpoint();
        var replies = new StringWriter();
        var errors = new StringWriter();

        // Each weight fits float32, but their weighted sum of hidden states overflows it.
        int exitCode = GenerateCommand.RunCommandLine(
            ["--from", output, "--weights", "3e38,3e38,3e38", "the cat sat"], new StringReader(""), replies, errors);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("Failed: ", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("divide every weight", errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GenerateReportsBpeSentencePiece()
    {
        string output = RunOnTinyT5Checkpoint();
        byte[] bpe = SentencePieceModelFixture.Build(SentencePieceModelFixture.Pieces, 2, 2, -1, 1, 0, "identity");
        File.WriteAllBytes(Path.Combine(output, "base", "spiece.model"), bpe);
        var errors = new StringWriter();

        int exitCode = GenerateCommand.RunCommandLine(["--from", output, "the cat sat"], new StringReader(""), new StringWriter(), errors);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("Failed: ", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("type 2", errors.ToString(), StringComparison.Ordinal);
        Assert.True(ExpectedFailures.Contains(new NotSupportedException()), "a training run would crash on the same file");
    }

    [Fact]
    public void BaseModelWithModelSizesIsRejected()
    {
        string checkpoint = Path.Combine(_root, "gpt2-tiny");
        WriteTinyCheckpoint(checkpoint);

        var error = Assert.Throws<ArgumentException>(() => SampleOptions.Parse(["--base-model", checkpoint, "--layers", "2"]));

        Assert.Contains("--base-model", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("t5")]
    public void BaseModelWithArchitectureIsRejected(string architecture)
    {
        string checkpoint = Path.Combine(_root, "gpt2-tiny");
        WriteTinyCheckpoint(checkpoint);

        var error = Assert.Throws<ArgumentException>(
            () => SampleOptions.Parse(["--base-model", checkpoint, "--architecture", architecture]));

        Assert.Contains("--architecture", error.Message, StringComparison.Ordinal);
        Assert.Contains("config.json sets them", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BaseModelFileIsExplained()
    {
        string checkpoint = Path.Combine(_root, "gpt2-tiny");
        WriteTinyCheckpoint(checkpoint);
        string config = Path.Combine(checkpoint, "config.json");

        var error = Assert.Throws<ArgumentException>(() => SampleOptions.Parse(["--base-model", config]));

        Assert.Contains("is a file", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(checkpoint), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BaseModelAdapterFolderIsExplained()
    {
        string adapter = Path.Combine(_root, "adapter");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), "{}");

        var error = Assert.Throws<ArgumentException>(() => SampleOptions.Parse(["--base-model", adapter]));

        Assert.Contains("LoRA adapter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void T5CheckpointWithoutSentencePieceNamesIt()
    {
        string checkpoint = Path.Combine(_root, "t5-no-tokenizer");
        TinyT5.WriteHuggingFaceDirectory(checkpoint, TinyT5.Options());

        var error = Assert.Throws<FileNotFoundException>(() => BaseModelFiles.LoadTokenizer(checkpoint));

        Assert.Contains("T5 model", error.Message, StringComparison.Ordinal);
        Assert.Contains("spiece.model", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("vocab.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenizerReportsInvalidModelTypeFirst()
    {
        string checkpoint = Path.Combine(_root, "mt5");
        TinyT5.WriteHuggingFaceDirectory(checkpoint, TinyT5.Options());
        string config = Path.Combine(checkpoint, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"t5\"", "\"mt5\"", StringComparison.Ordinal));

        var error = Assert.Throws<InvalidDataException>(() => BaseModelFiles.LoadTokenizer(checkpoint));

        Assert.Contains("\"mt5\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CopiedTokenizerReplacesStaleOnes()
    {
        string checkpoint = Path.Combine(_root, "t5-tiny");
        string target = Path.Combine(_root, "earlier-run", "base");
        TinyT5.WriteHuggingFaceDirectory(checkpoint, TinyT5.Options());
        File.WriteAllBytes(Path.Combine(checkpoint, BaseModelFiles.SentencePieceFileName), SentencePieceModelFixture.T5Style());
        // An earlier run in the same --out folder left the compact vocabulary of a model trained from scratch.
        TinyT5.WriteHuggingFaceDirectory(target, TinyT5.Options());
        string stale = Path.Combine(target, BaseModelFiles.CompactVocabularyFileName);
        CompactVocabularyTokenizer.FromCorpus(new Gpt2Tokenizer(), ["the cat sat on the mat"]).Save(stale);

        var tokenizer = BaseModelFiles.LoadTokenizer(checkpoint);
        BaseModelFiles.CopyTokenizer(tokenizer, checkpoint, target);

        Assert.False(File.Exists(stale), "the stale compact vocabulary is still there");
        Assert.False(File.Exists(stale + CheckpointManifest.FileManifestSuffix), "the stale vocabulary's manifest is still there");
        Assert.IsType<SentencePieceUnigramTokenizer>(BaseModelFiles.LoadTokenizer(target));
    }

    [Fact]
    public void CopyingTokenizerOntoItsFolderKeepsFiles()
    {
        string checkpoint = Path.Combine(_root, "t5-tiny");
        TinyT5.WriteHuggingFaceDirectory(checkpoint, TinyT5.Options());
        File.WriteAllBytes(Path.Combine(checkpoint, BaseModelFiles.SentencePieceFileName), SentencePieceModelFixture.T5Style());
        string vocabulary = Path.Combine(checkpoint, "vocab.json");
        File.WriteAllText(vocabulary, "{}");

        var tokenizer = BaseModelFiles.LoadTokenizer(checkpoint);
        BaseModelFiles.CopyTokenizer(tokenizer, checkpoint, checkpoint);

        Assert.True(File.Exists(vocabulary), "copying onto the source folder deleted one of the user's files");
        Assert.IsType<SentencePieceUnigramTokenizer>(BaseModelFiles.LoadTokenizer(checkpoint));
    }

    [Fact]
    public void CancelledRunKeepsEarlierVocabulary()
    {
        string output = Path.Combine(_root, "earlier-run");
        string vocabulary = Path.Combine(output, "base", BaseModelFiles.CompactVocabularyFileName);
        Directory.CreateDirectory(Path.GetDirectoryName(vocabulary)!);
        File.WriteAllText(vocabulary, "earlier run");
        var options = SampleOptions.Parse(["--preset", "tiny", "--architecture", "t5", "--out", output]);
        using var cancelled = new System.Threading.CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => new CounselorRun(options, cancelled.Token).Run());

        Assert.Equal("earlier run", File.ReadAllText(vocabulary));
    }

    [Fact]
    public void CancelledCheckpointRunKeepsEarlierTokenizer()
    {
        string checkpoint = Path.Combine(_root, "t5-tiny");
        TinyT5.WriteHuggingFaceDirectory(checkpoint, TinyT5.Options());
        File.WriteAllBytes(Path.Combine(checkpoint, BaseModelFiles.SentencePieceFileName), SentencePieceModelFixture.T5Style());
        string output = Path.Combine(_root, "earlier-run");
        string vocabulary = Path.Combine(output, "base", BaseModelFiles.CompactVocabularyFileName);
        Directory.CreateDirectory(Path.GetDirectoryName(vocabulary)!);
        File.WriteAllText(vocabulary, "earlier run");
        var options = SampleOptions.Parse(["--preset", "tiny", "--base-model", checkpoint, "--warmup-steps", "2", "--out", output]);
        using var cancelled = new System.Threading.CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => new CounselorRun(options, cancelled.Token).Run());

        Assert.Equal("earlier run", File.ReadAllText(vocabulary));
        Assert.False(File.Exists(Path.Combine(output, "base", BaseModelFiles.SentencePieceFileName)), "the new tokenizer was written before the model");
    }

    [Fact]
    public void BaseModelWarmupRunsOnlyWhenAsked()
    {
        string checkpoint = Path.Combine(_root, "gpt2-tiny");
        WriteTinyCheckpoint(checkpoint);

        var skipped = SampleOptions.Parse(["--preset", "tiny", "--base-model", checkpoint]);
        var asked = SampleOptions.Parse(["--preset", "tiny", "--base-model", checkpoint, "--warmup-steps", "5"]);

        Assert.Equal(0, skipped.WarmupSteps);
        Assert.Equal(5, asked.WarmupSteps);
    }

    /// <summary>Writes a tiny T5 checkpoint with a SentencePiece model, runs the tiny preset on it and returns the run folder.</summary>
    private string RunOnTinyT5Checkpoint()
    {
        string checkpoint = Path.Combine(_root, "t5-tiny");
        string output = Path.Combine(_root, "run-t5");
        TinyT5.WriteHuggingFaceDirectory(checkpoint, TinyT5.Options());
        File.WriteAllBytes(Path.Combine(checkpoint, "spiece.model"), SentencePieceModelFixture.T5Style());
        var options = SampleOptions.Parse(
            ["--preset", "tiny", "--base-model", checkpoint, "--out", output, "--seed", "3", "--rl-steps", "1", "--search-levels", "1"]);
        ReportWriter.Write(new CounselorRun(options, default).Run(), output);
        return output;
    }

    /// <summary>Runs the generate command on a finished run and checks that it replies once.</summary>
    private static void AssertGenerateReplies(string output)
    {
        var replies = new StringWriter();
        int exitCode = GenerateCommand.Run(GenerateOptions.Parse(["--from", output, "the cat sat"]), new StringReader(""), replies, default);
        Assert.Equal(0, exitCode);
        Assert.Single(replies.ToString().Split('\n'), line => line.StartsWith("Counselor: ", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Writes config.json, model.safetensors, vocab.json and merges.txt of a one-layer GPT-2; returns its vocabulary size.</summary>
    private static int WriteTinyCheckpoint(string directory)
    {
        int vocabulary = TinyVocabulary().Count;
        const int Positions = 160;
        const int Hidden = 16;
        var random = new Random(4);
        var tensors = Gpt2Shapes(vocabulary, Positions, Hidden, layers: 1)
            .Select(t => new RawTensor("transformer." + t.Name, "F32", t.Shape, Encode(Values(t.Name, t.Shape, random), "F32")));
        WriteConfig(directory, vocabulary, Positions, Hidden, layers: 1, heads: 2);
        WriteSafetensors(Path.Combine(directory, Gpt2Checkpoint.ModelFileName), tensors, "{\"format\":\"pt\"}");
        WriteTinyTokenizer(directory);
        return vocabulary;
    }
}
