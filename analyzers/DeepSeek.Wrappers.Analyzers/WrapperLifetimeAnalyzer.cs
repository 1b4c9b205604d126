using System.Collections.Immutable;
using System.Linq;
using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Wrappers.Analyzers;

/// <summary>
/// DSW0001: a generated model wrapper constructed inside a loop (each one loads the model and creates a session).
/// DSW0002: a wrapper created in a method and never disposed there: not in a <c>using</c>, no <c>Dispose()</c> call, and
/// not handed on (returned, passed, stored, captured) — who receives it owns it, so those are left alone.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class WrapperLifetimeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ConstructedInLoop, Descriptors.NeverDisposed);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var wrappers = new WrapperTypes(start.Compilation);
            // Only constructions are watched: the uses of a wrapper local are looked up in its own body, when there is one.
            start.OnCreation(_ => true, (c, creation) =>
            {
                if (!wrappers.IsWrapper(creation.Type))
                {
                    return;
                }

                if (InLoop(creation))
                {
                    c.ReportDiagnostic(Diagnostic.Create(Descriptors.ConstructedInLoop, creation.Syntax.GetLocation(), creation.Type!.Name));
                }

                var owner = Owner(creation);
                var lost = ReferenceEquals(owner, Ownership.Lost)
                    || (owner is Ownership.Local local && !Root(creation).Descendants().OfType<ILocalReferenceOperation>()
                        .Any(r => SymbolEqualityComparer.Default.Equals(r.Local, local.Symbol) && DisposesOrHandsOn(r)));
                if (lost)
                {
                    c.ReportDiagnostic(Diagnostic.Create(Descriptors.NeverDisposed, creation.Syntax.GetLocation(), creation.Type!.Name));
                }
            });
        });
    }

    private static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    private static bool InLoop(IOperation operation)
    {
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            switch (parent)
            {
                case ILoopOperation:
                    return true;
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
            }
        }

        return false;
    }

    /// <summary>Who owns a new wrapper: a plain local (checked at the end), nobody (reported), or someone else (left alone).</summary>
    private static Ownership Owner(IObjectCreationOperation creation)
    {
        var value = (IOperation)creation;
        while (value.Parent is IConversionOperation or IParenthesizedOperation)
        {
            value = value.Parent;
        }

        return value.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } when IsUsing(declarator) => Ownership.Other,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => new Ownership.Local(declarator.Symbol),
            IExpressionStatementOperation => Ownership.Lost,
            IInvocationOperation invocation when invocation.Instance == value => Ownership.Lost,
            IPropertyReferenceOperation or IFieldReferenceOperation => Ownership.Lost,
            _ => Ownership.Other, // using resources, arguments, returns, assignments, collection elements...
        };
    }

    private static bool IsUsing(IVariableDeclaratorOperation declarator) =>
        declarator.Parent is IVariableDeclarationOperation { Parent: IVariableDeclarationGroupOperation { Parent: IUsingDeclarationOperation } }
        || declarator.Parent is IVariableDeclarationOperation { Parent: IUsingOperation }
        || declarator.Parent?.Parent?.Parent is IUsingOperation;

    /// <summary>True when this use of the local disposes it or hands it to an owner that may dispose it.</summary>
    private static bool DisposesOrHandsOn(ILocalReferenceOperation reference)
    {
        IOperation value = reference;
        while (value.Parent is IConversionOperation or IParenthesizedOperation)
        {
            value = value.Parent;
        }

        for (var scope = reference.Parent; scope is not null; scope = scope.Parent)
        {
            if (scope is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true; // captured: the closure owns it now
            }
        }

        return value.Parent switch
        {
            IInvocationOperation invocation when invocation.Instance == value => invocation.TargetMethod.Name is "Dispose" or "DisposeAsync",
            IInvocationOperation or IObjectCreationOperation or IArgumentOperation => true,
            IReturnOperation => true,
            ISimpleAssignmentOperation assignment => assignment.Value == value,
            IUsingOperation => true,
            IVariableInitializerOperation => true,
            IArrayInitializerOperation => true,
            _ => false,
        };
    }

    private abstract record Ownership
    {
        public static readonly Ownership Lost = new LostOwner();
        public static readonly Ownership Other = new OtherOwner();

        public sealed record Local(ILocalSymbol Symbol) : Ownership;

        private sealed record LostOwner : Ownership;

        private sealed record OtherOwner : Ownership;
    }
}
