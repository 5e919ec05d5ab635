using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Emorl.Rewards;

namespace Emorl.Tests.Rewards;

/// <summary>
/// Builds a reflection-like task from templates: a response that reuses the prompt's feeling,
/// topic and cause scores 1, one that reuses only the feeling scores 0.5, and one built from
/// another prompt's words scores 0. All responses share the same templates, so only the
/// prompt–response interaction separates them.
/// </summary>
internal static class SyntheticReflectionData
{
    private static readonly string[] Feelings =
    {
        "anxious", "tired", "angry", "lonely", "hopeless", "stuck", "worried", "overwhelmed",
        "guilty", "nervous", "frustrated", "sad", "ashamed", "restless",
    };

    private static readonly string[] Topics =
    {
        "job", "marriage", "drinking", "weight", "son", "daughter", "exams", "sleep", "money",
        "health", "smoking", "boss", "neighbour", "diet", "mother", "brother", "car", "landlord",
    };

    private static readonly string[] Causes =
    {
        "deadlines", "arguments", "bills", "cravings", "rumours", "doctors", "meetings", "debts",
        "fights", "headaches", "phone calls", "late nights", "complaints", "rules",
    };

    private static readonly string[] PromptTemplates =
    {
        "I feel {0} about my {1} because of the {2} lately.",
        "My {1} makes me {0}, and the {2} never stop.",
        "Lately the {2} around my {1} leave me {0} every single day.",
        "I keep thinking about my {1}; the {2} make me so {0}.",
        "Honestly, with all the {2}, my {1} has me feeling {0} and I do not know what to do.",
    };

    private static readonly string[] ResponseTemplates =
    {
        "You feel {0} about your {1} because of the {2}.",
        "It sounds like the {2} with your {1} leave you {0}.",
        "Your {1} has you feeling {0}, especially with the {2}.",
        "So the {2} are part of why your {1} feels {0} to you.",
    };

    /// <summary>Creates three graded examples for each of <paramref name="promptCount"/> distinct prompts.</summary>
    public static List<ScoredPair> Create(int promptCount, int seed)
    {
        var random = new Random(seed);
        var used = new HashSet<(int, int, int)>();
        var examples = new List<ScoredPair>();
        while (used.Count < promptCount)
        {
            var words = (random.Next(Feelings.Length), random.Next(Topics.Length), random.Next(Causes.Length));
            if (!used.Add(words))
            {
                continue;
            }

            string prompt = Fill(PromptTemplates[random.Next(PromptTemplates.Length)], words);
            var other = (
                Different(random, words.Item1, Feelings.Length),
                Different(random, words.Item2, Topics.Length),
                Different(random, words.Item3, Causes.Length));
            var half = (words.Item1, other.Item2, other.Item3);
            examples.Add(new ScoredPair(new PromptResponse(prompt, Fill(RandomResponse(random), words)), 1.0));
            examples.Add(new ScoredPair(new PromptResponse(prompt, Fill(RandomResponse(random), half)), 0.5));
            examples.Add(new ScoredPair(new PromptResponse(prompt, Fill(RandomResponse(random), other)), 0.0));
        }

        return examples;
    }

    /// <summary>Returns every word the templates can produce, for building a test tokenizer.</summary>
    public static IEnumerable<string> AllTexts() =>
        Feelings.Concat(Topics).Concat(Causes).Concat(PromptTemplates).Concat(ResponseTemplates);

    private static string RandomResponse(Random random) => ResponseTemplates[random.Next(ResponseTemplates.Length)];

    private static int Different(Random random, int index, int count) => (index + 1 + random.Next(count - 1)) % count;

    private static string Fill(string template, (int Feeling, int Topic, int Cause) words) =>
        string.Format(
            CultureInfo.InvariantCulture,
            template,
            Feelings[words.Feeling],
            Topics[words.Topic],
            Causes[words.Cause]);
}
