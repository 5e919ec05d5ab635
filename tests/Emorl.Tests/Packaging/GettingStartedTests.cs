using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Emorl.Tests.Packaging;

public sealed class GettingStartedTests
{
    [Fact]
    public void ProgramCompilesAgainstTheLibrary()
    {
        string program = MarkdownCodeBlocks.Single("getting-started.md", "csharp");
        var compilation = CSharpCompilation.Create(
            "GettingStarted",
            [CSharpSyntaxTree.ParseText(program, new CSharpParseOptions(LanguageVersion.Latest))],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        using var output = new MemoryStream();
        var result = compilation.Emit(output);

        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToArray();
        Assert.True(result.Success, string.Join(Environment.NewLine, problems));
        Assert.Empty(problems);
    }

    [Fact]
    public void ProjectFileReferencesThePackages()
    {
        string project = MarkdownCodeBlocks.Single("getting-started.md", "xml");

        Assert.Contains("<PackageReference Include=\"EMORL\"", project, StringComparison.Ordinal);
        Assert.Contains("<PackageReference Include=\"libtorch-cpu-linux-x64\" Version=\"2.10.0\" />", project, StringComparison.Ordinal);
        Assert.Contains("<TargetFramework>net10.0</TargetFramework>", project, StringComparison.Ordinal);
    }

    /// <summary>The runtime's assemblies plus every managed assembly next to the tests, Emorl.dll included.</summary>
    private static List<MetadataReference> References()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        var names = new HashSet<string>(paths.Select(Path.GetFileName)!, StringComparer.OrdinalIgnoreCase);
        foreach (string path in Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
        {
            if (names.Add(Path.GetFileName(path)) && IsManaged(path))
            {
                paths.Add(path);
            }
        }

        return paths.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
