using System.Linq;
using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Migration.Analyzers;

/// <summary>
/// DSM0003: <c>torch.optim.Adam(m.parameters(), ...)</c> or <c>AdamW</c> in a method that also hands <c>m</c> to a DeepSeek
/// quantizer or pruner: the 2.x loop, which 3.x writes with <c>DeepSeekOptimizer</c>. Quiet for modules DeepSeek does not
/// touch in that method, and for projects on an API version before 3.
/// </summary>
internal static class AdamLoop
{
    /// <summary>The DSM0003 check of one invocation.</summary>
    public static void Analyze(OperationAnalysisContextLite c, IInvocationOperation call, KnownTypes types)
    {
        if (!IsAdam(call, types) || call.Arguments.Named("parameters")?.Value is not { } parameters || ModuleOfParameters(parameters) is not { } module)
        {
            return;
        }

        // The whole body the call is in: does it hand the same module to a quantizer or pruner?
        var body = (IOperation)call;
        while (body.Parent is not null)
        {
            body = body.Parent;
        }

        var compressed = body.Descendants().OfType<IObjectCreationOperation>()
            .Any(creation => types.IsCompressor(creation.Type) && creation.Arguments.Length > 0
                && SymbolEqualityComparer.Default.Equals(Symbol(creation.Arguments[0].Value), module));
        if (compressed)
        {
            c.ReportDiagnostic(Diagnostic.Create(Descriptors.AdamLoop, call.Syntax.GetLocation(), "torch.optim." + call.TargetMethod.Name, module.Name));
        }
    }

    /// <summary>torch.optim.Adam or AdamW.</summary>
    /// <remarks>By name: a workspace can hold TorchSharp twice (through a project reference and a package), and then the
    /// compilation has no single <c>TorchSharp.torch+optim</c> to compare with.</remarks>
    public static bool IsAdam(IInvocationOperation call, KnownTypes types) =>
        call.TargetMethod.Name is "Adam" or "AdamW"
        && (KnownTypes.Is(call.TargetMethod.ContainingType, types.TorchOptim) || call.TargetMethod.ContainingType.ToDisplayString() == "TorchSharp.torch.optim");

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
