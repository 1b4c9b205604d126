using System.Collections.Immutable;
using DeepSeek.Analyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DeepSeek.Migration.Analyzers;

/// <summary>
/// DSM0002: <c>new DynamicQuantizer(model, bits: c)</c> with a constant other than 4 or 8 (it would throw).
/// DSM0006: <c>perChannel: false</c> given as a constant (per-channel is the migration's default).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class QuantizerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.QuantizerBits, Descriptors.PerTensor);

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

            start.OnCreation(name => name == "DynamicQuantizer", (c, creation) =>
            {
                if (!KnownTypes.Is(creation.Type, types.DynamicQuantizer))
                {
                    return;
                }

                if (creation.Arguments.Named("bits") is { } bits && bits.IsExplicit() && bits.Value.ConstantValue is { HasValue: true, Value: int value } && value is not (4 or 8))
                {
                    c.ReportDiagnostic(Diagnostic.Create(Descriptors.QuantizerBits, bits.Syntax.GetLocation(), value));
                }

                if (creation.Arguments.Named("perChannel") is { } perChannel && perChannel.IsExplicit() && perChannel.Value.ConstantValue is { HasValue: true, Value: false })
                {
                    c.ReportDiagnostic(Diagnostic.Create(Descriptors.PerTensor, perChannel.Syntax.GetLocation()));
                }
            });
        });
    }
}
