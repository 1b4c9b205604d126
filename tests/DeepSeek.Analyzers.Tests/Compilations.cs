using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepSeek.Analyzers.Tests;

/// <summary>A compilation of C# sources against .NET 8 and the real DeepSeek assemblies, outside the test framework.</summary>
internal static class Compilations
{
    public static async Task<CSharpCompilation> CreateAsync(params string[] sources)
    {
        var references = await Verifier.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        return CSharpCompilation.Create(
            "Test",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, path: $"File{i}.cs")),
            references.AddRange(Verifier.AssemblyReferences),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }
}
