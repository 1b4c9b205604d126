using System.Collections.Immutable;
using DeepSeek.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DeepSeek.Generators.Tests;

/// <summary>Runs the generator in memory on manifests, as the compiler would with AdditionalFiles and their metadata.</summary>
internal static class GeneratorHarness
{
    /// <summary>A console app referencing the framework, ONNX Runtime and (unless <paramref name="withRuntime"/> is false) DeepSeek.Runtime.</summary>
    public static CSharpCompilation Compilation(string source = "class Program { static void Main() { } }", bool withRuntime = true)
    {
        // the test host's trusted assemblies include this project's references, DeepSeek.Runtime among them
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => withRuntime || Path.GetFileName(path) != "DeepSeek.Runtime.dll")
            .Select(path => MetadataReference.CreateFromFile(path))
            .Concat(withRuntime ? [MetadataReference.CreateFromFile(typeof(DeepSeek.Runtime.ShippedModel).Assembly.Location)] : [])
            .Append(MetadataReference.CreateFromFile(typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.Location));
        return CSharpCompilation.Create("App", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static GeneratorDriver Driver(params (string Path, string Text, string ModelPath)[] manifests)
        => Driver(new Dictionary<string, string>(), manifests);

    /// <summary>A driver whose manifests all carry <paramref name="metadata"/> (DeepSeekPreprocess...) besides their model path.</summary>
    public static GeneratorDriver Driver(Dictionary<string, string> metadata, params (string Path, string Text, string ModelPath)[] manifests)
    {
        var texts = manifests.Select(m => (AdditionalText)new InMemoryText(m.Path, m.Text)).ToImmutableArray();
        var options = new Options(manifests.ToDictionary(m => m.Path, m => m.ModelPath), metadata);
        return CSharpGeneratorDriver.Create([new ModelWrapperGenerator().AsSourceGenerator()], texts, CSharpParseOptions.Default, options,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    public static (Compilation Output, ImmutableArray<Diagnostic> Diagnostics, GeneratorDriver Driver) Run(Compilation compilation, GeneratorDriver driver)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (output, diagnostics, driver);
    }

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private sealed class Options(Dictionary<string, string> modelPaths, Dictionary<string, string> metadata) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Values(new() { ["build_property.RootNamespace"] = "App" });

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Values([]);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile)
        {
            var values = metadata.ToDictionary(kv => "build_metadata.AdditionalFiles." + kv.Key, kv => kv.Value);
            values["build_metadata.AdditionalFiles.DeepSeekModel"] = "true";
            values["build_metadata.AdditionalFiles.DeepSeekModelPath"] = modelPaths[textFile.Path];
            return new Values(values);
        }
    }

    private sealed class Values(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}
