using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Migration.CodeFixes;

/// <summary>Small syntax edits the fixes share.</summary>
internal static class Syntax
{
    /// <summary>Adds <c>using <paramref name="name"/>;</c> to the file when it is not there.</summary>
    public static SyntaxNode WithUsing(this SyntaxNode root, string name)
    {
        if (root is not CompilationUnitSyntax unit || unit.Usings.Any(u => u.Name?.ToString() == name)
            || unit.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Usings.Any(u => u.Name?.ToString() == name)))
        {
            return root;
        }

        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(name)).WithTrailingTrivia(EndOfLine(root));
        return unit.AddUsings(directive);
    }

    /// <summary>The file's line ending (its first one; a line feed for a file of one line).</summary>
    public static SyntaxTrivia EndOfLine(SyntaxNode root) =>
        root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { RawKind: (int)SyntaxKind.EndOfLineTrivia } eol ? eol : SyntaxFactory.LineFeed;

    /// <summary>The whitespace that indents the line <paramref name="node"/> starts on.</summary>
    public static string Indentation(SyntaxNode node) =>
        string.Concat(node.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse().Select(t => t.ToString()));

    /// <summary>The local a <c>var x = &lt;expression&gt;;</c> declaration gives <paramref name="expression"/>, or null.</summary>
    public static VariableDeclaratorSyntax? DeclaredBy(ExpressionSyntax expression) =>
        expression.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } ? declarator : null;

    /// <summary>The invocations <c>x.Name(...)</c> on local <paramref name="local"/> within <paramref name="scope"/>, and whether every use of it is one.</summary>
    public static (InvocationExpressionSyntax[] Calls, bool OnlyCalls) CallsOn(SyntaxNode scope, ISymbol local, SemanticModel model, params string[] names)
    {
        var uses = scope.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(i => i.Identifier.Text == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(i).Symbol, local))
            .ToList();
        var calls = uses
            .Select(u => u.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax call } access && access.Expression == u && names.Contains(access.Name.Identifier.Text) ? call : null)
            .ToList();
        return (calls.Where(c => c is not null).Cast<InvocationExpressionSyntax>().ToArray(), calls.All(c => c is not null));
    }

    /// <summary>Renames the method of <c>x.Old(...)</c>.</summary>
    public static InvocationExpressionSyntax Renamed(InvocationExpressionSyntax call, string name)
    {
        var access = (MemberAccessExpressionSyntax)call.Expression;
        return call.WithExpression(access.WithName(SyntaxFactory.IdentifierName(name).WithTriviaFrom(access.Name)));
    }

    /// <summary>An argument <c>name: expression</c>.</summary>
    public static ArgumentSyntax Named(string name, ExpressionSyntax expression) =>
        SyntaxFactory.Argument(SyntaxFactory.NameColon(name), default, expression.WithoutTrivia());

    /// <summary>A literal argument <c>name: value</c>.</summary>
    public static ArgumentSyntax Named(string name, int value) =>
        Named(name, SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value)));

    /// <summary>
    /// A local name free at <paramref name="at"/> (no symbol of that name in scope there, and none declared inside
    /// <paramref name="inside"/>): <paramref name="preferred"/>, else with a number.
    /// </summary>
    public static string FreeName(SemanticModel model, SyntaxNode at, SyntaxNode inside, string preferred)
    {
        var declared = inside.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.Text).ToImmutableHashSet();
        bool Taken(string candidate) => declared.Contains(candidate) || !model.LookupSymbols(at.SpanStart, name: candidate).IsEmpty;
        var name = preferred;
        for (var i = 2; Taken(name); i++)
        {
            name = preferred + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }
}
