using System.IO;
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
    public static ITextTokenizer LoadTokenizer(string directory)
    {
        string compact = Path.Combine(directory, CompactVocabularyFileName);
        if (File.Exists(compact))
        {
            return CompactVocabularyTokenizer.Load(compact, new Gpt2Tokenizer());
        }

        string sentencePiece = Path.Combine(directory, SentencePieceFileName);
        return File.Exists(sentencePiece)
            ? SentencePieceUnigramTokenizer.Load(sentencePiece)
            : Gpt2BpeTokenizer.Load(directory);
    }

    /// <summary>Writes the tokenizer loaded from <paramref name="source"/> into <paramref name="target"/>.</summary>
    public static void CopyTokenizer(ITextTokenizer tokenizer, string source, string target)
    {
        Directory.CreateDirectory(target);
        switch (tokenizer)
        {
            case CompactVocabularyTokenizer compact:
                compact.Save(Path.Combine(target, CompactVocabularyFileName));
                break;
            case SentencePieceUnigramTokenizer:
                File.Copy(Path.Combine(source, SentencePieceFileName), Path.Combine(target, SentencePieceFileName), overwrite: true);
                break;
            case Gpt2BpeTokenizer gpt2:
                gpt2.Save(target);
                break;
        }
    }
}
