using System.Collections.Immutable;
using DeepSeek.Migration.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DeepSeek.Analyzers.Tests;

/// <summary>
/// A use of a 1.x/2.x type is reported once: the analyzer's DSM warning (with a fix) stays, the compiler's [Obsolete]
/// warning with the same id is suppressed — as the compiler does it in a build (all diagnostics, suppressors applied).
/// </summary>
public sealed class SuppressorTests
{
    [Fact]
    public async Task The_compilers_obsolete_duplicate_is_suppressed_and_the_analyzers_warning_stays()
    {
        var source = """
            using DeepSeek.Torch.V1;
            using static TorchSharp.torch;
            class C { void M(nn.Module model) { new Int8Quantizer(model).Quantize(); new ChannelPruner(model, 0.3).Prune(); } }
            """;
        var compilation = await Compilations.CreateAsync(source);
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new ObsoleteApiAnalyzer(), new ObsoleteWarningSuppressor());
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: true);
        var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAllDiagnosticsAsync();

        var dsm = diagnostics.Where(d => d.Id.StartsWith("DSM", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, dsm.Count);
        Assert.All(dsm.Where(d => d.Descriptor.Category == "Compiler"), d => Assert.True(d.IsSuppressed, d.ToString()));
        Assert.Equal(["DSM0001", "DSM0008"], dsm.Where(d => !d.IsSuppressed).Select(d => d.Id).Order());
        Assert.All(dsm.Where(d => !d.IsSuppressed), d => Assert.Equal(Descriptors.Category, d.Descriptor.Category));
    }
}
