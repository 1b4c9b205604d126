using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace DeepSeek.Analyzers.Tests;

/// <summary>
/// Runs an analyzer (and its code fix) on C# sources compiled against the real DeepSeek.Torch, TorchSharp and
/// DeepSeek.Runtime assemblies, with .NET 8's reference assemblies.
/// </summary>
internal static class Verifier
{
    public static readonly ReferenceAssemblies Net80 = ReferenceAssemblies.Net.Net80;

    private static readonly Type[] Anchors =
    [
        typeof(DeepSeek.Torch.Quantization.DynamicQuantizer),
        typeof(TorchSharp.torch),
        typeof(DeepSeek.Runtime.TensorShapeAttribute),
    ];

    /// <summary>
    /// The compiler's [Obsolete] warning at markup location <paramref name="marker"/>. The test framework does not run
    /// suppressors on compiler diagnostics, so it sees it; a build does not (SuppressorTests).
    /// </summary>
    public static DiagnosticResult CompilerObsolete(string id, int marker) => DiagnosticResult.CompilerWarning(id).WithLocation(marker);

    /// <summary>References to DeepSeek.Torch, TorchSharp and DeepSeek.Runtime as built.</summary>
    public static IEnumerable<MetadataReference> AssemblyReferences => Anchors.Select(a => MetadataReference.CreateFromFile(a.Assembly.Location));

    public static async Task Analyze<TAnalyzer>(string source, IEnumerable<KeyValuePair<string, string>>? properties = null, params DiagnosticResult[] expected)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new MigrationAnalyzerTest<TAnalyzer> { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        Configure(test, properties);
        await test.RunAsync();
    }

    public static async Task Fix<TAnalyzer, TFix>(string source, string fixedSource, int? iterations = null, params DiagnosticResult[] expected)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        var test = new MigrationFixTest<TAnalyzer, TFix> { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        if (iterations is { } n)
        {
            test.NumberOfFixAllIterations = n;
            test.NumberOfFixAllInDocumentIterations = n;
        }

        Configure(test, null);
        await test.RunAsync();
    }

    /// <summary>The migration rules as a project gets them: with the suppressor of the compiler's duplicate [Obsolete] warnings.</summary>
    private static IEnumerable<DiagnosticAnalyzer> WithSuppressor(IEnumerable<DiagnosticAnalyzer> analyzers) =>
        analyzers.Append(new DeepSeek.Migration.Analyzers.ObsoleteWarningSuppressor());

    private sealed class MigrationAnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => WithSuppressor(base.GetDiagnosticAnalyzers());
    }

    private sealed class MigrationFixTest<TAnalyzer, TFix> : CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => WithSuppressor(base.GetDiagnosticAnalyzers());
    }

    private static void Configure<TVerifier>(AnalyzerTest<TVerifier> test, IEnumerable<KeyValuePair<string, string>>? properties)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = Net80;
        test.TestState.AdditionalReferences.AddRange(AssemblyReferences);

        if (properties is not null)
        {
            var config = "is_global = true\n" + string.Concat(properties.Select(p => $"build_property.{p.Key} = {p.Value}\n"));
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", config));
        }
    }
}
