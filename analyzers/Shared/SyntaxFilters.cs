using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Analyzers.Shared;

/// <summary>
/// Cheap syntactic pre-filters: the rules register for object creations and invocations as syntax nodes and ask for the
/// semantic operation only when the name written in the source can be one they look for, so no operation tree is built
/// for the rest of the code (the cost that matters in a big project).
/// </summary>
internal static class SyntaxFilters
{
    /// <summary>The simple name of the type in <c>new T(...)</c>; null for <c>new(...)</c>.</summary>
    public static string? CreatedTypeName(SyntaxNode node) => node is ObjectCreationExpressionSyntax creation ? SimpleName(creation.Type) : null;

    /// <summary>The simple name of the method called: <c>M</c> in <c>M(...)</c>, <c>x.M(...)</c>, <c>x.M&lt;T&gt;(...)</c>.</summary>
    public static string? CalledName(SyntaxNode node) => node is InvocationExpressionSyntax call ? call.Expression switch
    {
        MemberAccessExpressionSyntax access => access.Name.Identifier.Text,
        SimpleNameSyntax name => name.Identifier.Text,
        _ => null,
    } : null;

    /// <summary>Registers <paramref name="action"/> for <c>new T(...)</c> and <c>new(...)</c> whose type name passes <paramref name="accept"/>.</summary>
    public static void OnCreation(this CompilationStartAnalysisContext start, System.Func<string, bool> accept, System.Action<OperationAnalysisContextLite, IObjectCreationOperation> action) =>
        start.RegisterSyntaxNodeAction(c =>
        {
            var name = CreatedTypeName(c.Node);
            if ((name is null || accept(name)) && c.SemanticModel.GetOperation(c.Node, c.CancellationToken) is IObjectCreationOperation creation)
            {
                action(new OperationAnalysisContextLite(c.ReportDiagnostic, c.Options), creation);
            }
        }, SyntaxKind.ObjectCreationExpression, SyntaxKind.ImplicitObjectCreationExpression);

    /// <summary>Registers <paramref name="action"/> for invocations whose method name passes <paramref name="accept"/>.</summary>
    public static void OnCall(this CompilationStartAnalysisContext start, System.Func<string, bool> accept, System.Action<OperationAnalysisContextLite, IInvocationOperation> action) =>
        start.RegisterSyntaxNodeAction(c =>
        {
            if (CalledName(c.Node) is { } name && accept(name) && c.SemanticModel.GetOperation(c.Node, c.CancellationToken) is IInvocationOperation call)
            {
                action(new OperationAnalysisContextLite(c.ReportDiagnostic, c.Options), call);
            }
        }, SyntaxKind.InvocationExpression);

    private static string? SimpleName(TypeSyntax type) => type switch
    {
        SimpleNameSyntax simple => simple.Identifier.Text,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.Text,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.Text,
        _ => null,
    };
}

/// <summary>What a rule needs from its analysis context: a way to report, and the options.</summary>
internal readonly struct OperationAnalysisContextLite
{
    private readonly System.Action<Diagnostic> report;

    public OperationAnalysisContextLite(System.Action<Diagnostic> report, AnalyzerOptions options)
    {
        this.report = report;
        Options = options;
    }

    public AnalyzerOptions Options { get; }

    public void ReportDiagnostic(Diagnostic diagnostic) => report(diagnostic);
}
