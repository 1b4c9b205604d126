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
/// DSM0004: puts <c>using var distributed = new DeepSeekDistributed("backend");</c> before the statement that creates the
/// optimizer, so the scope covers it and the training loop after it, to the end of the block.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DistributedScopeFix)), Shared]
public sealed class DistributedScopeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DSM0004");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAll.For(this);

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ObjectCreationExpressionSyntax creation || model is null
                || creation.FirstAncestorOrSelf<StatementSyntax>(s => s.Parent is BlockSyntax) is not { Parent: BlockSyntax block } statement
                || creation.ArgumentList?.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.Text == "commBackend") is not { } backend)
            {
                continue;
            }

            const string Title = "Enclose in a DeepSeekDistributed scope";
            context.RegisterCodeFix(CodeAction.Create(Title, _ =>
            {
                var name = Syntax.FreeName(model, statement, block, "distributed");
                var scope = SyntaxFactory.ParseStatement($"using var {name} = new DeepSeekDistributed({backend.Expression.WithoutTrivia()});")
                    .WithLeadingTrivia(statement.GetLeadingTrivia())
                    .WithTrailingTrivia(Syntax.EndOfLine(root));
                var indented = statement.WithLeadingTrivia(SyntaxFactory.Whitespace(Syntax.Indentation(statement)));
                var updated = block.WithStatements(block.Statements.Replace(statement, indented).Insert(block.Statements.IndexOf(statement), scope));
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(block, updated).WithUsing("DeepSeek.Torch.Distributed")));
            }, Title), diagnostic);
        }
    }
}
