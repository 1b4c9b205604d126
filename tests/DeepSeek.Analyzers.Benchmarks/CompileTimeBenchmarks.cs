using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DeepSeek.Analyzers.Benchmarks;

/// <summary>
/// What the DeepSeek analyzers add to compiling a generated 200-file project: the compiler's full diagnostics pass (every
/// method bound) as the baseline, against the same pass with the DSM and DSW analyzers and the suppressor, same run.
/// Each iteration starts from a fresh compilation (Clone), so nothing bound earlier is reused; binding and analysis run on
/// one thread (concurrent runs on 2 cores made the ratio swing by ±30%).
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class CompileTimeBenchmarks
{
    private CSharpCompilation compilation = null!;
    private ImmutableArray<DiagnosticAnalyzer> analyzers;

    [GlobalSetup]
    public void Setup()
    {
        compilation = GeneratedProject.CreateAsync().GetAwaiter().GetResult();
        analyzers = [.. new[] { typeof(DeepSeek.Migration.Analyzers.ObsoleteApiAnalyzer), typeof(DeepSeek.Wrappers.Analyzers.WrapperLifetimeAnalyzer) }
            .SelectMany(t => t.Assembly.GetTypes())
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)];
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("the generated project does not compile: " + errors[0]);
        }
    }

    [Benchmark(Baseline = true, Description = "compiler diagnostics (200 files)")]
    public int Compiler() => compilation.Clone().GetDiagnostics().Length;

    [Benchmark(Description = "+ an analyzer that does nothing (the driver every SDK build runs)")]
    public int WithIdleAnalyzer() => Analyze([new IdleAnalyzer()]);

    [Benchmark(Description = "+ DeepSeek analyzers (DSM, DSW)")]
    public int WithAnalyzers() => Analyze(analyzers);

    private int Analyze(ImmutableArray<DiagnosticAnalyzer> set)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        return compilation.Clone().WithAnalyzers(set, options).GetAllDiagnosticsAsync().GetAwaiter().GetResult().Length;
    }

    /// <summary>Registers nothing: what remains is the cost of running an analyzer driver at all.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class IdleAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Rule = new("IDLE0001", "idle", "idle", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
        }
    }

    private sealed class Config : ManualConfig
    {
        // The testing package (only used in setup, to resolve .NET 8 reference assemblies) ships a debug build.
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(20).WithToolchain(InProcessEmitToolchain.Instance));
            WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }
    }
}
