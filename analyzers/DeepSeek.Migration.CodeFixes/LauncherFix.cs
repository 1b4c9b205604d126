using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Migration.CodeFixes;

/// <summary>
/// DSM0007: <c>DistributedLauncher.Launch(worldSize, backend, rank => body);</c> →
/// <c>using (var distributed = new DeepSeekDistributed(backend)) { var rank = distributed.Rank; body; }</c>
/// (a method group <c>Train</c> becomes <c>Train(distributed.Rank);</c>). The world size goes: the scope runs one process.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LauncherFix)), Shared]
public sealed class LauncherFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DSM0007");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAll.For(this);

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            // The analyzer reports the call; the compiler's [Obsolete] duplicate (same id) the type name inside it.
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call || model is null
                || call.Parent is not ExpressionStatementSyntax statement
                || call.ArgumentList.Arguments.Count != 3
                || Body(call.ArgumentList.Arguments[2].Expression) is not { } body)
            {
                continue;
            }

            const string Title = "Use a DeepSeekDistributed scope (3.x)";
            context.RegisterCodeFix(CodeAction.Create(Title, _ =>
            {
                var name = Syntax.FreeName(model, statement, statement, "distributed");
                var eol = Syntax.EndOfLine(root).ToString();
                var indent = Syntax.Indentation(statement);
                var backend = call.ArgumentList.Arguments[1].Expression.WithoutTrivia();
                var text = $"using (var {name} = new DeepSeekDistributed({backend})){eol}{indent}{{{eol}"
                    + string.Concat(body(name).Select(line => $"{indent}    {line}{eol}"))
                    + $"{indent}}}";
                var scope = SyntaxFactory.ParseStatement(text)
                    .WithLeadingTrivia(statement.GetLeadingTrivia())
                    .WithTrailingTrivia(statement.GetTrailingTrivia());
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(statement, scope).WithUsing("DeepSeek.Torch.Distributed")));
            }, Title), diagnostic);
        }
    }

    /// <summary>The lines of the scope's block, given the scope variable's name; null for a form it does not know.</summary>
    private static System.Func<string, string[]>? Body(ExpressionSyntax train) => train switch
    {
        SimpleLambdaExpressionSyntax { Block: { } block } lambda => scope =>
            [$"var {lambda.Parameter.Identifier.Text} = {scope}.Rank;", .. block.Statements.Select(s => s.WithoutTrivia().ToString())],
        SimpleLambdaExpressionSyntax { ExpressionBody: { } expression } lambda => scope =>
            [$"var {lambda.Parameter.Identifier.Text} = {scope}.Rank;", expression.WithoutTrivia() + ";"],
        IdentifierNameSyntax or MemberAccessExpressionSyntax => scope => [$"{train.WithoutTrivia()}({scope}.Rank);"],
        _ => null,
    };
}
