using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace DeepSeek.Migration.CodeFixes;

/// <summary>
/// The Fix All of every migration fix: each diagnostic of the fixed id in a document gets its fix computed on the document,
/// and the edits that do not overlap an edit already taken are merged (an identical edit, such as the same added
/// <c>using</c>, counts once).
/// </summary>
/// <remarks>
/// Unlike <see cref="WellKnownFixAllProviders.BatchFixer"/>, it does not filter the fixes by the equivalence key of a
/// first code action. <c>dotnet format analyzers</c> takes that key from the first diagnostic its analysis found for the
/// analyzers of the id being fixed, which can be another id of the same analyzer (DSM0007 while fixing DSM0001): the key is
/// then null, the batch fixer keeps nothing, and that id waited for another run. With this provider one
/// <c>dotnet format analyzers</c> run migrates samples/Migration (it re-analyzes the solution before each id, so each id's
/// diagnostics are where the earlier ids' edits left them).
/// </remarks>
internal static class FixAll
{
    public static FixAllProvider For(CodeFixProvider fixer) => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var text = await document.GetTextAsync(context.CancellationToken).ConfigureAwait(false);
        var taken = new List<TextChange>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            CodeAction? action = null;
            await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => action ??= a, context.CancellationToken)).ConfigureAwait(false);
            if (action is null)
            {
                continue;
            }

            var operations = await action.GetOperationsAsync(context.CancellationToken).ConfigureAwait(false);
            if (operations.OfType<ApplyChangesOperation>().FirstOrDefault()?.ChangedSolution.GetDocument(document.Id) is not { } changed)
            {
                continue;
            }

            var changes = (await changed.GetTextChangesAsync(document, context.CancellationToken).ConfigureAwait(false))
                .Where(c => !taken.Contains(c))
                .ToList();
            if (changes.All(c => taken.All(t => !t.Span.IntersectsWith(c.Span))))
            {
                taken.AddRange(changes);
            }
        }

        return taken.Count == 0 ? document : document.WithText(text.WithChanges(taken.OrderBy(c => c.Span.Start)));
    });
}
