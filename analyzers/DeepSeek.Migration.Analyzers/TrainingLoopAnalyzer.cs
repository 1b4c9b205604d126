using System;
using System.Collections.Immutable;
using System.Linq;
using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Migration.Analyzers;

/// <summary>
/// The training-loop rules. DSM0003: <see cref="AdamLoop"/> (API version 3 or later).
/// DSM0004: <c>new DeepSeekOptimizer(..., commBackend: "gloo" | "nccl")</c> with no <see cref="Descriptors.CommBackendScope"/>
/// scope around it (a <c>using</c> of a DeepSeekDistributed before it in an enclosing block, or a using statement around it).
/// DSM0005: the <c>nccl</c> backend (optimizer or scope) while <c>DeepSeekHardwareProfile</c> is set and not a cuda profile.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrainingLoopAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CommBackendScope, Descriptors.NcclProfile, Descriptors.AdamLoop);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.For(start.Compilation) is not { } types || types.Optimizer is null)
            {
                return;
            }

            if (ApiVersion.Of(start.Options, types) >= 3)
            {
                start.OnCall(name => name is "Adam" or "AdamW", (c, call) => AdamLoop.Analyze(c, call, types));
            }

            start.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.DeepSeekHardwareProfile", out var profile);
            var notCuda = !string.IsNullOrWhiteSpace(profile) && !profile!.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
            start.OnCreation(name => name is "DeepSeekOptimizer" or "DeepSeekDistributed", (c, creation) =>
            {
                var isOptimizer = KnownTypes.Is(creation.Type, types.Optimizer);
                var backend = isOptimizer ? creation.Arguments.ConstantOf("commBackend") as string
                    : KnownTypes.Is(creation.Type, types.Distributed) ? creation.Arguments.ConstantOf("backend") as string
                    : null;
                if (backend is null)
                {
                    return;
                }

                if (isOptimizer && !InDistributedScope(creation, types))
                {
                    c.ReportDiagnostic(Diagnostic.Create(Descriptors.CommBackendScope, creation.Syntax.GetLocation(), backend));
                }

                if (notCuda && string.Equals(backend, "nccl", StringComparison.OrdinalIgnoreCase))
                {
                    c.ReportDiagnostic(Diagnostic.Create(Descriptors.NcclProfile, creation.Syntax.GetLocation(), profile));
                }
            });
        });
    }

    /// <summary>True when a DeepSeekDistributed scope encloses <paramref name="operation"/> lexically.</summary>
    internal static bool InDistributedScope(IOperation operation, KnownTypes types)
    {
        var model = operation.SemanticModel!;
        bool IsScope(ExpressionSyntax? value) =>
            value is not null && KnownTypes.Is(model.GetTypeInfo(value).Type, types.Distributed);

        for (var node = operation.Syntax; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case UsingStatementSyntax statement when IsScope(statement.Expression) || statement.Declaration?.Variables.Any(v => IsScope(v.Initializer?.Value)) == true:
                    return true;
                case BlockSyntax block:
                    var inner = block.Statements.FirstOrDefault(s => s.Span.Contains(operation.Syntax.Span));
                    foreach (var before in block.Statements.TakeWhile(s => s != inner))
                    {
                        if (before is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword } declaration
                            && declaration.Declaration.Variables.Any(v => IsScope(v.Initializer?.Value)))
                        {
                            return true;
                        }
                    }

                    break;
                case MemberDeclarationSyntax:
                    return false;
            }
        }

        return false;
    }
}
