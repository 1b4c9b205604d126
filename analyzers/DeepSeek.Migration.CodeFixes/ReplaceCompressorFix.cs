using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Migration.CodeFixes;

/// <summary>
/// DSM0001: <c>new Int8Quantizer(model)</c> → <c>new DynamicQuantizer(model, bits: 8)</c> and its <c>Quantize()</c> calls →
/// <c>Freeze()</c> (per-channel, the migration's default). DSM0008: <c>new ChannelPruner(model, ratio)</c> →
/// <c>new StructuredPruner(model, ratio, ChannelNorm.L1)</c>. Offered when the old method's result is not used as a value
/// (its type changes): on the construction itself, or on a <c>var</c> local whose every use is such a call.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReplaceCompressorFix)), Shared]
public sealed class ReplaceCompressorFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DSM0001", "DSM0008");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAll.For(this);

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            // The analyzer reports the construction; the compiler's [Obsolete] duplicate (same id) the type name inside it.
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<ObjectCreationExpressionSyntax>() is not { } creation || model is null)
            {
                continue;
            }

            var quantizer = diagnostic.Id == "DSM0001";
            if (Plan(creation, model, quantizer ? "Quantize" : "Prune", context.CancellationToken) is not { } calls)
            {
                continue;
            }

            var title = quantizer ? "Use DynamicQuantizer (3.x)" : "Use StructuredPruner (3.x)";
            context.RegisterCodeFix(
                CodeAction.Create(title, _ => Task.FromResult(context.Document.WithSyntaxRoot(Apply(root, creation, calls, quantizer))), title),
                diagnostic);
        }
    }

    private static InvocationExpressionSyntax[]? Plan(ObjectCreationExpressionSyntax creation, SemanticModel model, string method, CancellationToken cancellation)
    {
        if (creation.ArgumentList is null || creation.ArgumentList.Arguments.Count == 0)
        {
            return null;
        }

        // new Old(...).Method(); as a statement
        if (creation.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax direct } access && access.Expression == creation)
        {
            return access.Name.Identifier.Text == method && direct.Parent is ExpressionStatementSyntax ? [direct] : null;
        }

        // var x = new Old(...); ... x.Method(); ...
        if (Syntax.DeclaredBy(creation) is { Parent: VariableDeclarationSyntax { Type.IsVar: true } } declarator
            && model.GetDeclaredSymbol(declarator, cancellation) is { } local
            && declarator.FirstAncestorOrSelf<BlockSyntax>() is { } block)
        {
            var (calls, onlyCalls) = Syntax.CallsOn(block, local, model, method);
            return onlyCalls && calls.All(c => c.Parent is ExpressionStatementSyntax) ? calls : null;
        }

        return creation.Parent is ExpressionStatementSyntax ? [] : null;
    }

    private static SyntaxNode Apply(SyntaxNode root, ObjectCreationExpressionSyntax creation, InvocationExpressionSyntax[] calls, bool quantizer)
    {
        var module = creation.ArgumentList!.Arguments[0].WithNameColon(null);
        var arguments = quantizer
            ? new[] { module, Syntax.Named("bits", 8) }
            : new[]
            {
                module,
                creation.ArgumentList.Arguments.Count > 1 ? creation.ArgumentList.Arguments[1].WithNameColon(null) : Syntax.Named("ratio", SyntaxFactory.ParseExpression("0.3")),
                SyntaxFactory.Argument(SyntaxFactory.ParseExpression("ChannelNorm.L1")),
            };
        var replacement = SyntaxFactory.ObjectCreationExpression(SyntaxFactory.IdentifierName(quantizer ? "DynamicQuantizer" : "StructuredPruner"))
            .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)))
            .WithTriviaFrom(creation);

        var renamed = quantizer ? calls : [];
        var updated = root.ReplaceNodes(
            renamed.Cast<SyntaxNode>().Append(creation),
            (original, rewritten) => original == creation ? replacement
                : Syntax.Renamed((InvocationExpressionSyntax)rewritten, "Freeze"));
        return updated.WithUsing(quantizer ? "DeepSeek.Torch.Quantization" : "DeepSeek.Torch.Pruning");
    }
}
