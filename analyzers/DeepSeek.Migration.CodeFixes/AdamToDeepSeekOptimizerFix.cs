using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Migration.CodeFixes;

/// <summary>
/// DSM0003: <c>var opt = torch.optim.Adam(m.parameters(), lr: a, beta1: b, beta2: c, weight_decay: d)</c> →
/// <c>var opt = new DeepSeekOptimizer(m.parameters(), lr: a, beta1: b, beta2: c, weightDecay: d)</c>; the loop's
/// <c>opt.zero_grad()</c>/<c>opt.step()</c> stay as they are (DeepSeekOptimizer is a torch.optim optimizer), and the edit is
/// the creation alone, so it never overlaps another rule's. Adam without weight decay keeps
/// none (<c>weightDecay: 0</c>); Adam's coupled decay becomes AdamW's decoupled one. Offered when the optimizer is a
/// <c>var</c> local used only through those two calls.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AdamToDeepSeekOptimizerFix)), Shared]
public sealed class AdamToDeepSeekOptimizerFix : CodeFixProvider
{
    private static readonly Dictionary<string, string> ParameterNames = new()
    {
        ["lr"] = "lr", ["beta1"] = "beta1", ["beta2"] = "beta2", ["eps"] = "eps", ["weight_decay"] = "weightDecay",
    };

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DSM0003");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAll.For(this);

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call || model is null
                || model.GetOperation(call, context.CancellationToken) is not IInvocationOperation operation
                || Syntax.DeclaredBy(call) is not { Parent: VariableDeclarationSyntax { Type.IsVar: true } } declarator
                || model.GetDeclaredSymbol(declarator, context.CancellationToken) is not { } local
                || declarator.FirstAncestorOrSelf<BlockSyntax>() is not { } block)
            {
                continue;
            }

            var (calls, onlyCalls) = Syntax.CallsOn(block, local, model, "step", "zero_grad");
            if (!onlyCalls || calls.Any(c => c.ArgumentList.Arguments.Count > 0))
            {
                continue;
            }

            var arguments = new List<ArgumentSyntax>();
            foreach (var argument in operation.Arguments.Where(a => a.ArgumentKind != ArgumentKind.DefaultValue && a.Syntax is ArgumentSyntax))
            {
                var syntax = (ArgumentSyntax)argument.Syntax;
                var name = argument.Parameter?.Name;
                if (name == "parameters")
                {
                    arguments.Insert(0, syntax.WithNameColon(null));
                }
                else if (name is not null && ParameterNames.TryGetValue(name, out var mapped))
                {
                    arguments.Add(Syntax.Named(mapped, syntax.Expression));
                }
                else
                {
                    arguments = null!; // amsgrad, maximize: nothing to map them to
                    break;
                }
            }

            if (arguments is null)
            {
                continue;
            }

            if (operation.TargetMethod.Name == "Adam" && !arguments.Any(a => a.NameColon?.Name.Identifier.Text == "weightDecay"))
            {
                arguments.Add(Syntax.Named("weightDecay", 0));
            }

            const string Title = "Use DeepSeekOptimizer (3.x)";
            context.RegisterCodeFix(CodeAction.Create(Title, _ =>
            {
                var replacement = SyntaxFactory.ObjectCreationExpression(SyntaxFactory.IdentifierName("DeepSeekOptimizer"))
                    .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)))
                    .WithTriviaFrom(call);
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(call, replacement).WithUsing("DeepSeek.Torch.Optim")));
            }, Title), diagnostic);
        }
    }
}
