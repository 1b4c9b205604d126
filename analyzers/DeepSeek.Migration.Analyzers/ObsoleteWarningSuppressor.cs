using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DeepSeek.Migration.Analyzers;

/// <summary>
/// The 1.x and 2.x types (and the 3.0 optimizer method names) carry [Obsolete] with the same DSM ids, so that a project without these analyzers still hears of
/// the migration. With the analyzers present, <see cref="ObsoleteApiAnalyzer"/> reports each use (with a code fix, which
/// `dotnet format analyzers` can apply: it does not fix compiler diagnostics), and this suppressor silences the compiler's
/// duplicate.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ObsoleteWarningSuppressor : DiagnosticSuppressor
{
    private static readonly ImmutableArray<SuppressionDescriptor> Suppressions =
        new[] { "DSM0001", "DSM0007", "DSM0008", "DSM0009", "DSM0010", "DSM0011" }
            .Select(id => new SuppressionDescriptor("DSMS" + id.Substring(3), id, "Reported by the DeepSeek migration analyzer, which has a code fix"))
            .ToImmutableArray();

    /// <inheritdoc />
    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions => Suppressions;

    /// <inheritdoc />
    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        foreach (var diagnostic in context.ReportedDiagnostics)
        {
            // The compiler's [Obsolete] warnings come with the "Compiler" category; the analyzer's own are not touched.
            if (diagnostic.Descriptor.Category == "Compiler")
            {
                context.ReportSuppression(Suppression.Create(Suppressions.First(s => s.SuppressedDiagnosticId == diagnostic.Id), diagnostic));
            }
        }
    }
}
