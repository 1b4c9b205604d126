using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;

namespace DeepSeek.Generators.Diagnostics
{
    /// <summary>Every generator diagnostic (<c>DSG0xxx</c>), with its help link into docs/diagnostics.md.</summary>
    internal static class GeneratorDiagnostics
    {
        private const string Category = "DeepSeek.Generator";

        public static readonly DiagnosticDescriptor UnreadableManifest = DiagnosticRules.Create(
            "DSG0001", "Model manifest cannot be read",
            "The manifest '{0}' cannot be read: {1}; rebuild so that DeepSeek.Build writes it again",
            Category, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor NameCollision = DiagnosticRules.Create(
            "DSG0002", "Two models get the same wrapper name",
            "The models '{0}' and '{1}' would both generate '{2}'; give one of them a ClassName or Namespace",
            Category, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor UnsupportedElementType = DiagnosticRules.Create(
            "DSG0003", "Model value type has no typed wrapper",
            "The model '{0}' has {1} '{2}' of type {3}, which the typed wrapper does not support; no wrapper is generated for it",
            Category, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor InvalidProcessing = DiagnosticRules.Create(
            "DSG0004", "Invalid pre- or postprocessing metadata",
            "The model '{0}' has {1}=\"{2}\": {3}; no wrapper is generated for it",
            Category, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor NoTextRuntime = DiagnosticRules.Create(
            "DSG0005", "The text helpers need DeepSeek.Runtime.Text",
            "The model '{0}' has a tokenizer Preprocess, but the project's DeepSeek.Runtime has no DeepSeek.Runtime.Text.TextTokenizer; reference the DeepSeek.Runtime that comes with this DeepSeek.Build. No wrapper is generated for it",
            Category, DiagnosticSeverity.Error);
    }
}
