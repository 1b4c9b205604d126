using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepSeek.Generators.Emitting
{
    /// <summary>
    /// Names from a model are untrusted: every one becomes a valid, unique C# identifier here, in one place, and strings are
    /// emitted only as escaped literals.
    /// </summary>
    internal static class Identifiers
    {
        /// <summary>A C# identifier from any text: letters and digits kept, the rest word breaks; PascalCase or camelCase.</summary>
        public static string From(string text, bool pascal)
        {
            var words = new List<string>();
            var word = new StringBuilder();
            foreach (var c in text ?? "")
            {
                if (SyntaxFacts.IsIdentifierPartCharacter(c) && c != '_' && CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format)
                {
                    word.Append(c);
                }
                else if (word.Length > 0)
                {
                    words.Add(word.ToString());
                    word.Clear();
                }
            }

            if (word.Length > 0)
            {
                words.Add(word.ToString());
            }

            var result = new StringBuilder();
            for (var i = 0; i < words.Count; i++)
            {
                var w = words[i];
                var first = i == 0 && !pascal ? char.ToLowerInvariant(w[0]) : char.ToUpperInvariant(w[0]);
                result.Append(first).Append(w, 1, w.Length - 1);
            }

            var identifier = result.Length == 0 ? "value" : result.ToString();
            if (!SyntaxFacts.IsIdentifierStartCharacter(identifier[0]))
            {
                identifier = (pascal ? "M" : "m") + identifier;
            }

            return SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(identifier) != SyntaxKind.None
                ? "@" + identifier
                : identifier;
        }

        /// <summary><paramref name="candidate"/>, or it with a number, so that it differs from every name in <paramref name="used"/>.</summary>
        public static string Unique(string candidate, HashSet<string> used)
        {
            var name = candidate;
            for (var i = 2; !used.Add(name.TrimStart('@')); i++)
            {
                name = candidate + i.ToString(CultureInfo.InvariantCulture);
            }

            return name;
        }

        /// <summary>A C# string literal with every character escaped as needed.</summary>
        public static string Literal(string text) => SymbolDisplay.FormatLiteral(text ?? "", quote: true);

        /// <summary>Text safe inside an XML doc comment on one line.</summary>
        public static string Doc(string text)
        {
            var builder = new StringBuilder();
            foreach (var c in text ?? "")
            {
                builder.Append(c switch
                {
                    '<' => "&lt;",
                    '>' => "&gt;",
                    '&' => "&amp;",
                    _ when char.IsControl(c) => " ",
                    _ => c.ToString(),
                });
            }

            return builder.ToString();
        }
    }
}
