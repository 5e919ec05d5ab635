using System;
using System.IO;
using Emorl.Checkpoints;
using Emorl.Tokenization;

namespace CounselorReflection;

/// <summary>
/// Finds the tokenizer of a base model folder, whichever of the three layouts it uses, and copies
/// it into a run's base/ folder so that the generate command can load the run on its own.
/// </summary>
internal static class BaseModelFiles
{
    /// <summary>The compact vocabulary a run trained from scratch saves next to its base model.</summary>
    public const string CompactVocabularyFileName = "vocabulary.json";

    /// <summary>The SentencePiece model of a Hugging Face T5 checkpoint.</summary>
    public const string SentencePieceFileName = "spiece.model";

    /// <summary>
    /// Loads the folder's tokenizer: this sample's compact vocabulary, a T5 SentencePiece model, or
    /// GPT-2's vocab.json and merges.txt (or tokenizer.json), in that order.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder contains none of the tokenizer layouts.</exception>
    /// <exception cref="InvalidDataException">config.json names no architecture this library runs.</exception>
    public static ITextTokenizer LoadTokenizer(string directory)
    {
        // config.json is read first, so a bad model_type is reported before any tokenizer error.
        string architecture = ModelCheckpoint.ReadArchitecture(directory);
        string compact = Path.Combine(directory, CompactVocabularyFileName);
        if (File.Exists(compact))
        {
            return CompactVocabularyTokenizer.Load(compact, new Gpt2Tokenizer());
        }

        string sentencePiece = Path.Combine(directory, SentencePieceFileName);
        if (File.Exists(sentencePiece))
        {
            return SentencePieceUnigramTokenizer.Load(sentencePiece);
        }

        if (architecture == "t5")
        {
            throw new FileNotFoundException(
                $"'{directory}' holds a T5 model (model_type \"t5\") but no tokenizer: it needs {SentencePieceFileName}, or the "
                + $"{CompactVocabularyFileName} of a base/ folder this sample saved. Copy the checkpoint's {SentencePieceFileName} "
                + "into the folder (tokenizer.save_pretrained(directory) writes it).",
                sentencePiece);
        }

        return Gpt2BpeTokenizer.Load(directory);
    }

    /// <summary>
    /// Writes the tokenizer loaded from <paramref name="source"/> into <paramref name="target"/> and
    /// deletes the target's files of the other layouts, which an earlier run in the same output
    /// folder may have left and <see cref="LoadTokenizer"/> would otherwise read first.
    /// </summary>
    /// <remarks>Does nothing when both are the same folder, because the source already contains the tokenizer.</remarks>
    public static void CopyTokenizer(ITextTokenizer tokenizer, string source, string target)
    {
        if (SameFolder(source, target))
        {
            return;
        }

        Directory.CreateDirectory(target);
        switch (tokenizer)
        {
            case CompactVocabularyTokenizer compact:
                DeleteFiles(target, SentencePieceFileName, "vocab.json", "merges.txt", "tokenizer.json");
                compact.Save(Path.Combine(target, CompactVocabularyFileName));
                break;
            case SentencePieceUnigramTokenizer:
                DeleteFiles(target, CompactVocabularyFileName, CompactVocabularyFileName + CheckpointManifest.FileManifestSuffix,
                    "vocab.json", "merges.txt", "tokenizer.json");
                File.Copy(Path.Combine(source, SentencePieceFileName), Path.Combine(target, SentencePieceFileName), overwrite: true);
                break;
            case Gpt2BpeTokenizer gpt2:
                DeleteFiles(target, CompactVocabularyFileName, CompactVocabularyFileName + CheckpointManifest.FileManifestSuffix,
                    SentencePieceFileName, "tokenizer.json");
                gpt2.Save(target);
                break;
        }
    }

    private static bool SameFolder(string first, string second) =>
        string.Equals(
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(first)),
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(second)),
            StringComparison.Ordinal);

    private static void DeleteFiles(string directory, params string[] names)
    {
        foreach (string name in names)
        {
            File.Delete(Path.Combine(directory, name));
        }
    }
}
