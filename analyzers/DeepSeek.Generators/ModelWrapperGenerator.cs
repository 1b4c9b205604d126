using System.Collections.Immutable;
using System.Linq;
using DeepSeek.Generators.Diagnostics;
using DeepSeek.Generators.Emitting;
using DeepSeek.Generators.Model;
using DeepSeek.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DeepSeek.Generators
{
    /// <summary>
    /// The pipeline: AdditionalFiles marked <c>DeepSeekModel=true</c> (the manifests DeepSeek.Build writes) → parse each into a
    /// value-equal <see cref="ModelSpec"/> → check names across models → emit one wrapper per model. Parsing and emitting live
    /// in their own files; no step holds a symbol or a compilation, so unrelated edits leave every step cached.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ModelWrapperGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking name of the parse step (tests check its caching).</summary>
        public const string ParseStep = "DeepSeek.Parse";

        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var rootNamespace = context.AnalyzerConfigOptionsProvider.Select((options, _) =>
                options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var ns) ? ns : "");

            var models = context.AdditionalTextsProvider
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Where(pair => Metadata(pair.Right.GetOptions(pair.Left), "DeepSeekModel") == "true")
                .Combine(rootNamespace)
                .Select((pair, cancellationToken) =>
                {
                    var ((file, options), root) = pair;
                    var metadata = options.GetOptions(file);
                    var text = file.GetText(cancellationToken)?.ToString() ?? "";
                    return ManifestParser.Parse(new ManifestInput(file.Path, text, Metadata(metadata, "DeepSeekClassName"),
                        Metadata(metadata, "DeepSeekNamespace"), Metadata(metadata, "DeepSeekModelPath"), root,
                        ProcessingMetadata(metadata, "DeepSeekPreprocess"), ProcessingMetadata(metadata, "DeepSeekPostprocess")));
                })
                .WithTrackingName(ParseStep);

            // Whether the referenced DeepSeek.Runtime has the text pieces the Tokenize/Embed members call (a bool: edits that
            // leave it unchanged leave the output cached).
            var hasTextRuntime = context.CompilationProvider.Select(static (compilation, _) => compilation.GetTypeByMetadataName(TextTokenizerType) is not null);

            context.RegisterSourceOutput(models.Collect().Combine(hasTextRuntime), static (production, pair) => Produce(production, pair.Left, pair.Right));
        }

        private const string TextTokenizerType = "DeepSeek.Runtime.Text.TextTokenizer";

        private static void Produce(SourceProductionContext context, ImmutableArray<(ModelSpec? Spec, DiagnosticInfo? Diagnostic)> results, bool hasTextRuntime)
        {
            var emitted = new System.Collections.Generic.Dictionary<string, ModelSpec>(System.StringComparer.Ordinal);
            foreach (var (spec, diagnostic) in results)
            {
                if (diagnostic is not null)
                {
                    Report(context, diagnostic);
                }

                if (spec is null)
                {
                    continue;
                }

                if (spec.Text is not null && !hasTextRuntime)
                {
                    Report(context, new DiagnosticInfo("DSG0005", spec.ModelPath, new EquatableArray<string>(new[] { spec.ModelPath })));
                    continue;
                }

                var fullName = spec.Namespace + "." + spec.ClassName;
                if (emitted.TryGetValue(fullName, out var other))
                {
                    Report(context, new DiagnosticInfo("DSG0002", spec.ModelPath, new EquatableArray<string>(new[] { other.ModelPath, spec.ModelPath, fullName })));
                    continue;
                }

                emitted[fullName] = spec;
                context.AddSource(fullName.Replace("@", "") + ".g.cs", SourceText.From(WrapperEmitter.Emit(spec), System.Text.Encoding.UTF8));
            }
        }

        private static void Report(SourceProductionContext context, DiagnosticInfo info)
        {
            var descriptor = info.Id switch
            {
                "DSG0001" => GeneratorDiagnostics.UnreadableManifest,
                "DSG0002" => GeneratorDiagnostics.NameCollision,
                "DSG0004" => GeneratorDiagnostics.InvalidProcessing,
                "DSG0005" => GeneratorDiagnostics.NoTextRuntime,
                _ => GeneratorDiagnostics.UnsupportedElementType,
            };
            var location = Location.Create(info.File, default, default);
            context.ReportDiagnostic(Diagnostic.Create(descriptor, location, info.Arguments.Cast<object>().ToArray()));
        }

        /// <summary>
        /// A Preprocess/Postprocess value. Item metadata reaches the generator through the generated .editorconfig, whose
        /// parser cuts a value at its first ';' or '#' (an inline comment), so DeepSeek.Build.targets writes the specs' ';' as
        /// '|', and '|' reads as ';' here.
        /// </summary>
        private static string ProcessingMetadata(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions options, string name) => Metadata(options, name).Replace('|', ';');

        private static string Metadata(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions options, string name)
            => options.TryGetValue("build_metadata.AdditionalFiles." + name, out var value) ? value : "";
    }
}
