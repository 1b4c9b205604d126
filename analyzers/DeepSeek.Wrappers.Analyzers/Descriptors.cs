using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;

namespace DeepSeek.Wrappers.Analyzers;

/// <summary>Every DSW rule: id, title, message, severity, category and its entry in docs/diagnostics.md.</summary>
internal static class Descriptors
{
    public const string Category = "DeepSeek.Wrappers";

    public static readonly DiagnosticDescriptor ConstructedInLoop = Rule(
        "DSW0001", "Model wrapper constructed inside a loop",
        "'{0}' is constructed inside a loop: each construction loads the model and creates an ONNX Runtime session; create it once, outside the loop, and reuse it",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor NeverDisposed = Rule(
        "DSW0002", "Model wrapper never disposed",
        "'{0}' is never disposed: its ONNX Runtime session and native buffers stay until the finalizer runs; declare it with 'using' or dispose it",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ShapeMismatch = Rule(
        "DSW0003", "Buffer length cannot match the model's shape",
        "'{0}' of {1}.Run is a tensor of shape {2}, which needs {3}, but this buffer holds {4} elements",
        DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Rule(string id, string title, string message, DiagnosticSeverity severity) =>
        DiagnosticRules.Create(id, title, message, Category, severity);
}
