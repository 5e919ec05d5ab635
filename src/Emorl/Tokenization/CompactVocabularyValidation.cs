using System.Collections.Generic;
using System.Linq;

namespace Emorl.Tokenization;

/// <summary>
/// Rules for the list of kept GPT-2 ids behind a <see cref="CompactVocabularyTokenizer"/>.
/// </summary>
internal static class CompactVocabularyValidation
{
    // Each rule lists at most this many offending entries, so a garbage file gives a short message.
    private const int MaxListedEntries = 5;

    /// <summary>Lists every rule that <paramref name="gpt2Ids"/> breaks, or none when it is valid.</summary>
    /// <remarks>
    /// The rules: element 0 is end-of-text, every id lies in [0, 50257), no id appears twice, and all
    /// 256 single-byte tokens are present so that byte fallback can encode any text.
    /// </remarks>
    internal static IReadOnlyList<string> FindProblems(IReadOnlyList<int> gpt2Ids, Gpt2Tokenizer gpt2)
    {
        var problems = new List<string>();
        if (gpt2Ids.Count == 0)
        {
            problems.Add("The list is empty.");
            return problems;
        }

        if (gpt2Ids[0] != gpt2.EndOfTextId)
        {
            problems.Add(
                $"Element 0 is {gpt2Ids[0]} but must be the end-of-text id {gpt2.EndOfTextId}, " +
                "because compact id 0 is always end-of-text.");
        }

        AddOutOfRange(gpt2Ids, problems);
        AddRepeated(gpt2Ids, problems);
        AddMissingByteTokens(gpt2Ids, gpt2, problems);
        return problems;
    }

    private static void AddOutOfRange(IReadOnlyList<int> gpt2Ids, List<string> problems)
    {
        List<string> entries = Enumerable.Range(0, gpt2Ids.Count)
            .Where(index => (uint)gpt2Ids[index] >= Gpt2Vocabulary.TokenCount)
            .Select(index => $"[{index}] = {gpt2Ids[index]}")
            .ToList();
        if (entries.Count > 0)
        {
            problems.Add(
                $"{entries.Count} ids are outside [0, {Gpt2Vocabulary.TokenCount}): {Summarize(entries)}.");
        }
    }

    private static void AddRepeated(IReadOnlyList<int> gpt2Ids, List<string> problems)
    {
        var firstIndex = new Dictionary<int, int>();
        var entries = new List<string>();
        for (int index = 0; index < gpt2Ids.Count; index++)
        {
            if (!firstIndex.TryAdd(gpt2Ids[index], index))
            {
                entries.Add($"[{index}] = {gpt2Ids[index]} repeats [{firstIndex[gpt2Ids[index]]}]");
            }
        }

        if (entries.Count > 0)
        {
            problems.Add($"{entries.Count} ids appear more than once: {Summarize(entries)}.");
        }
    }

    private static void AddMissingByteTokens(
        IReadOnlyList<int> gpt2Ids, Gpt2Tokenizer gpt2, List<string> problems)
    {
        var present = new HashSet<int>(gpt2Ids);
        List<string> entries = Enumerable.Range(0, 256)
            .Where(value => !present.Contains(gpt2.GetByteTokenId((byte)value)))
            .Select(value => $"byte 0x{value:X2} (GPT-2 id {gpt2.GetByteTokenId((byte)value)})")
            .ToList();
        if (entries.Count > 0)
        {
            problems.Add(
                $"{entries.Count} of the 256 single-byte tokens are missing, so byte fallback cannot " +
                $"encode every text: {Summarize(entries)}.");
        }
    }

    private static string Summarize(List<string> entries)
    {
        string listed = string.Join(", ", entries.Take(MaxListedEntries));
        return entries.Count > MaxListedEntries
            ? $"{listed} and {entries.Count - MaxListedEntries} more"
            : listed;
    }
}
