using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Wrappers.Analyzers;

/// <summary>
/// DSW0003: a buffer of constant length passed to a generated wrapper's <c>Run</c> that cannot match the tensor's shape
/// (the parameter's <c>[TensorShape]</c>): with static dimensions only, its length must be their product; with symbolic
/// ones (a batch), a non-zero multiple of the static product. The buffer is an array creation or <c>stackalloc</c> with a
/// constant size, written in the call or as the initializer of a local that is never reassigned.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RunShapeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ShapeMismatch);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var wrappers = new WrapperTypes(start.Compilation);
            if (wrappers.TensorShape is null)
            {
                return;
            }

            start.OnCall(name => name == "Run", (c, call) =>
            {
                if ( !wrappers.IsWrapper(call.TargetMethod.ContainingType))
                {
                    return;
                }

                foreach (var argument in call.Arguments)
                {
                    if (argument.Parameter is not { } parameter || Shape(parameter, wrappers.TensorShape) is not { } shape || ConstantLength(argument.Value) is not { } length)
                    {
                        continue;
                    }

                    var known = shape.Where(d => d >= 0).Aggregate(1L, (a, d) => a * d);
                    var symbolic = shape.Any(d => d < 0);
                    if (symbolic ? length == 0 || (known > 0 && length % known != 0) : length != known)
                    {
                        var needs = symbolic ? $"a non-zero multiple of {known} elements" : $"{known} elements";
                        var text = "[" + string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture))) + "]";
                        c.ReportDiagnostic(Diagnostic.Create(Descriptors.ShapeMismatch, argument.Syntax.GetLocation(),
                            parameter.Name, call.TargetMethod.ContainingType.Name, text, needs, length));
                    }
                }
            });
        });
    }

    private static long[]? Shape(IParameterSymbol parameter, INamedTypeSymbol tensorShape)
    {
        var attribute = parameter.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, tensorShape));
        if (attribute is null || attribute.ConstructorArguments.Length != 1)
        {
            return null;
        }

        var dimensions = attribute.ConstructorArguments[0];
        return dimensions.Kind == TypedConstantKind.Array ? dimensions.Values.Select(v => v.Value is long l ? l : -1L).ToArray() : null;
    }

    /// <summary>The element count of a buffer whose size is a compile-time constant, or null.</summary>
    private static long? ConstantLength(IOperation value)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        var model = value.SemanticModel;
        switch (value)
        {
            case IArrayCreationOperation { DimensionSizes.Length: 1 } array when array.Initializer is null:
                return Constant(array.DimensionSizes[0].ConstantValue);
            case IArrayCreationOperation { Initializer: { } initializer }:
                return initializer.ElementValues.Length;
            case ILocalReferenceOperation local when model is not null:
                return LocalLength(local.Local, model);
            default:
                return StackAllocLength(value.Syntax, model);
        }
    }

    private static long? LocalLength(ILocalSymbol local, SemanticModel model)
    {
        if (local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
            || declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
        {
            return null;
        }

        // reassigned anywhere in the member: its length is not known here
        var reassigned = member.DescendantNodes().OfType<AssignmentExpressionSyntax>()
            .Any(a => a.Left is IdentifierNameSyntax name && name.Identifier.Text == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name).Symbol, local));
        if (reassigned)
        {
            return null;
        }

        return model.GetOperation(initializer) is { } operation ? ConstantLength(operation) : StackAllocLength(initializer, model);
    }

    private static long? StackAllocLength(SyntaxNode syntax, SemanticModel? model)
    {
        if (model is null)
        {
            return null;
        }

        return syntax switch
        {
            StackAllocArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.Count,
            StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax array } when array.RankSpecifiers.Count == 1 && array.RankSpecifiers[0].Sizes.Count == 1
                => Constant(model.GetConstantValue(array.RankSpecifiers[0].Sizes[0])),
            ImplicitStackAllocArrayCreationExpressionSyntax implicitStackAlloc => implicitStackAlloc.Initializer.Expressions.Count,
            _ => null,
        };
    }

    private static long? Constant(Optional<object?> value) => value.HasValue && value.Value is not null
        ? System.Convert.ToInt64(value.Value, CultureInfo.InvariantCulture)
        : null;
}
