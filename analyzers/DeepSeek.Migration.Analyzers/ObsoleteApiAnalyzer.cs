using System.Collections.Immutable;
using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Migration.Analyzers;

/// <summary>
/// DSM0001, DSM0007, DSM0008, DSM0009, DSM0010: uses of the 1.x and 2.x APIs (constructions and static calls), each with
/// the 3.x replacement. DSM0011: <c>DeepSeekOptimizer.Step()</c>/<c>ZeroGrad()</c>, the 3.0 names of <c>step()</c>/<c>zero_grad()</c>
/// (calls, with a fix; method groups too, without one). The compiler's own [Obsolete] warnings with the same ids are suppressed by
/// <see cref="ObsoleteWarningSuppressor"/>, so each use is reported once, with a code fix where one exists.
/// Silent when the project targets an API version older than the replacement (<c>DeepSeekApiVersion</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ObsoleteApiAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.Int8Quantizer, Descriptors.Launcher, Descriptors.ChannelPruner, Descriptors.DistillationLoss, Descriptors.Trainer, Descriptors.OptimizerAliases);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.For(start.Compilation) is not { } types)
            {
                return;
            }

            var api = ApiVersion.Of(start.Options, types);
            start.OnCreation(name => name is "Int8Quantizer" or "ChannelPruner" or "Trainer", (c, creation) =>
            {
                var type = creation.Type;
                var rule =
                    KnownTypes.Is(type, types.Int8Quantizer) && api >= 2 ? Descriptors.Int8Quantizer :
                    KnownTypes.Is(type, types.ChannelPruner) && api >= 2 ? Descriptors.ChannelPruner :
                    KnownTypes.Is(type, types.Trainer) && api >= 3 ? Descriptors.Trainer :
                    null;
                if (rule is not null)
                {
                    c.ReportDiagnostic(Diagnostic.Create(rule, creation.Syntax.GetLocation(), type!.Name));
                }
            });
            start.OnCall(name => name is "Launch" or "Compute", (c, invocation) =>
            {
                var owner = invocation.TargetMethod.ContainingType;
                var rule =
                    KnownTypes.Is(owner, types.DistributedLauncher) && api >= 3 ? Descriptors.Launcher :
                    KnownTypes.Is(owner, types.DistillationLoss) && api >= 3 ? Descriptors.DistillationLoss :
                    null;
                if (rule is not null)
                {
                    c.ReportDiagnostic(Diagnostic.Create(rule, invocation.Syntax.GetLocation(), owner.Name + "." + invocation.TargetMethod.Name));
                }
            });
            if (api >= 3 && types.Optimizer is not null)
            {
                start.OnCall(name => name is "Step" or "ZeroGrad", (c, invocation) => ReportAlias(c.ReportDiagnostic, invocation.TargetMethod, invocation.Syntax, types));
                // A method group (optimizer.Step passed as an Action): by syntax and name first, as the other rules, so no
                // operation tree is built for the rest of the code.
                start.RegisterSyntaxNodeAction(
                    c =>
                    {
                        if (c.Node is MemberAccessExpressionSyntax { Name.Identifier.Text: "Step" or "ZeroGrad" } access
                            && !(access.Parent is InvocationExpressionSyntax call && call.Expression == access)
                            && c.SemanticModel.GetSymbolInfo(access, c.CancellationToken).Symbol is IMethodSymbol method)
                        {
                            ReportAlias(c.ReportDiagnostic, method, access, types);
                        }
                    },
                    SyntaxKind.SimpleMemberAccessExpression);
            }
        });
    }

    /// <summary>DSM0011 on a call or method group of DeepSeekOptimizer.Step or ZeroGrad.</summary>
    private static void ReportAlias(System.Action<Diagnostic> report, IMethodSymbol method, SyntaxNode syntax, KnownTypes types)
    {
        if (method.Name is "Step" or "ZeroGrad" && KnownTypes.Is(method.ContainingType, types.Optimizer))
        {
            report(Diagnostic.Create(Descriptors.OptimizerAliases, syntax.GetLocation(), method.Name, method.Name == "Step" ? "step" : "zero_grad"));
        }
    }
}
