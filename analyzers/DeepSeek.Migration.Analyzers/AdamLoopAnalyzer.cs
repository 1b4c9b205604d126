using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Migration.Analyzers;

/// <summary>
/// DSM0003: <c>torch.optim.Adam(m.parameters(), ...)</c> or <c>AdamW</c> in a method that also hands <c>m</c> to a DeepSeek
/// quantizer or pruner: the 2.x loop, which 3.x writes with <c>DeepSeekOptimizer</c>. Quiet for modules DeepSeek does not
/// touch in that method, and for projects on an API version before 3.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AdamLoopAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.AdamLoop);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.For(start.Compilation) is not { } types || types.TorchOptim is null || ApiVersion.Of(start.Options, types) < 3)
            {
                return;
            }

            start.RegisterOperationBlockStartAction(block =>
            {
                var compressed = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
                var optimizers = new List<(IInvocationOperation Call, ISymbol Module)>();
                block.RegisterOperationAction(c =>
                {
                    var creation = (IObjectCreationOperation)c.Operation;
                    if (types.IsCompressor(creation.Type) && creation.Arguments.Length > 0 && Symbol(creation.Arguments[0].Value) is { } module)
                    {
                        compressed.Add(module);
                    }
                }, OperationKind.ObjectCreation);
                block.RegisterOperationAction(c =>
                {
                    var call = (IInvocationOperation)c.Operation;
                    if (IsAdam(call, types) && call.Arguments.Named("parameters")?.Value is { } parameters && ModuleOfParameters(parameters) is { } module)
                    {
                        optimizers.Add((call, module));
                    }
                }, OperationKind.Invocation);
                block.RegisterOperationBlockEndAction(c =>
                {
                    foreach (var (call, module) in optimizers.Where(o => compressed.Contains(o.Module)))
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Descriptors.AdamLoop, call.Syntax.GetLocation(), "torch.optim." + call.TargetMethod.Name, module.Name));
                    }
                });
            });
        });
    }

    /// <summary>torch.optim.Adam or AdamW.</summary>
    internal static bool IsAdam(IInvocationOperation call, KnownTypes types) =>
        call.TargetMethod.Name is "Adam" or "AdamW" && KnownTypes.Is(call.TargetMethod.ContainingType, types.TorchOptim);

    /// <summary>The module <c>m</c> of <c>m.parameters()</c>.</summary>
    private static ISymbol? ModuleOfParameters(IOperation value)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        return value is IInvocationOperation { TargetMethod.Name: "parameters", Instance: { } instance } ? Symbol(instance) : null;
    }

    private static ISymbol? Symbol(IOperation value)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        return value switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            _ => null,
        };
    }
}
