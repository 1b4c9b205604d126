using Microsoft.CodeAnalysis;

namespace DeepSeek.Analyzers.Shared;

/// <summary>How every DeepSeek Roslyn component (generator, analyzers) describes a rule: enabled by default, with its entry in docs/diagnostics.md as help link.</summary>
internal static class DiagnosticRules
{
    public static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity) => new(
        id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: ProductLinks.DiagnosticHelp(id));
}
