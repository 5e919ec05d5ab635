using System;
using System.Collections.Generic;
using System.IO;

namespace Emorl.Tests.Packaging;

/// <summary>Finds the repository and reads fenced code blocks from its Markdown pages.</summary>
internal static class MarkdownCodeBlocks
{
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "EMORL.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above '{AppContext.BaseDirectory}' contains EMORL.sln.");
    }

    /// <summary>Returns the one block fenced with <c>```language</c> in a page under docs/.</summary>
    public static string Single(string docsPage, string language)
    {
        var blocks = new List<string>();
        List<string>? current = null;
        foreach (string line in File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", docsPage)))
        {
            if (current is null && line == "```" + language)
            {
                current = [];
            }
            else if (current is not null && line == "```")
            {
                blocks.Add(string.Join('\n', current) + "\n");
                current = null;
            }
            else
            {
                current?.Add(line);
            }
        }

        return blocks.Count == 1
            ? blocks[0]
            : throw new InvalidDataException($"docs/{docsPage} has {blocks.Count} ```{language} blocks; the test expects exactly one.");
    }
}
