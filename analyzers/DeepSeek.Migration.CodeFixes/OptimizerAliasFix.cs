using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Migration.CodeFixes;

/// <summary>
/// DSM0011: <c>optimizer.Step()</c> → <c>optimizer.step()</c> and <c>optimizer.ZeroGrad()</c> → <c>optimizer.zero_grad()</c>,
/// the names every torch.optim optimizer has. Offered on calls (a method group such as <c>optimizer.Step</c> passed as an
/// <c>Action</c> is reported without a fix: <c>step</c> returns the closure's loss, so it is not an <c>Action</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(OptimizerAliasFix)), Shared]
public sealed class OptimizerAliasFix : CodeFixProvider
{
    private const string Title = "Use step()/zero_grad() (torch.optim names)";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DSM0011");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAll.For(this);

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            // The analyzer reports the call; the compiler's [Obsolete] duplicate (same id) the method name inside it.
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not
                { Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "Step" or "ZeroGrad" } access } call
                || !access.Name.Span.IntersectsWith(diagnostic.Location.SourceSpan))
            {
                continue;
            }

            var name = access.Name.Identifier.Text == "Step" ? "step" : "zero_grad";
            context.RegisterCodeFix(
                CodeAction.Create(Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(call, Syntax.Renamed(call, name)))), Title),
                diagnostic);
        }
    }
}
