using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepSeek.Generators.Model;

namespace DeepSeek.Generators.Parsing
{
    /// <summary>
    /// The text metadata: a tokenizer <c>Preprocess</c> (<c>bert</c>, <c>wordpiece</c>, <c>sentencepiece</c>, <c>bpe</c>, the kinds
    /// DeepSeek.Runtime's <c>TextTokenizer</c> reads) and an embedding <c>Postprocess</c> (<c>meanpool</c>, <c>cls</c>, with
    /// <c>;l2norm</c>). Checked here against the model, so that a bad spec is a DSG0004 at compile time rather than an
    /// exception at run time; the runtime checks the files.
    /// </summary>
    internal static class TextProcessingParser
    {
        public const int DefaultMaxTokens = 512;
        public const int LargestMaxTokens = 1 << 20;
        public const string Ids = "input_ids";
        public const string Mask = "attention_mask";
        public const string Types = "token_type_ids";

        private static readonly Dictionary<string, (string[] Files, string[] Flags)> Kinds = new Dictionary<string, (string[], string[])>(StringComparer.Ordinal)
        {
            ["bert"] = (new[] { "vocab" }, new[] { "lowercase" }),
            ["wordpiece"] = (new[] { "vocab" }, new[] { "lowercase" }),
            ["sentencepiece"] = (new[] { "model" }, new[] { "bos", "eos" }),
            ["bpe"] = (new[] { "vocab", "merges" }, Array.Empty<string>()),
        };

        /// <summary>Whether <paramref name="preprocess"/> names a tokenizer (rather than image preprocessing).</summary>
        public static bool IsText(string preprocess) => Kinds.ContainsKey(Kind(preprocess));

        /// <summary>Whether <paramref name="postprocess"/> asks for sentence embeddings.</summary>
        public static bool IsEmbed(string postprocess) => Kind(postprocess) is "meanpool" or "cls";

        public static (TextSpec? Spec, string? Error) ParseText(string text, IReadOnlyList<TensorSpec> inputs)
        {
            var kindName = Kind(text);
            var kind = Kinds[kindName];
            var max = (int?)null;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var part in text.Split(';').Skip(1).Select(p => p.Trim()).Where(p => p.Length > 0))
            {
                var equals = part.IndexOf('=');
                if (equals <= 0)
                {
                    return (null, $"'{part}' is not key=value");
                }

                var key = part.Substring(0, equals).Trim().ToLowerInvariant();
                var value = part.Substring(equals + 1).Trim();
                if (!seen.Add(key))
                {
                    return (null, $"the option '{key}' is given twice");
                }

                if (kind.Files.Contains(key))
                {
                    if (PathProblem(value) is { } problem)
                    {
                        return (null, $"{key}='{value}' {problem}");
                    }
                }
                else if (kind.Flags.Contains(key))
                {
                    if (!bool.TryParse(value, out _))
                    {
                        return (null, $"{key}='{value}' is not true or false");
                    }
                }
                else if (key == "max")
                {
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m < 2 || m > LargestMaxTokens)
                    {
                        return (null, $"max='{value}' is not a whole number from 2 to {LargestMaxTokens}");
                    }

                    max = m;
                }
                else
                {
                    return (null, $"the {kindName} tokenizer has no option '{key}' (its options are {string.Join(", ", kind.Files.Concat(kind.Flags).Append("max"))})");
                }
            }

            var missing = kind.Files.FirstOrDefault(f => !seen.Contains(f));
            if (missing is not null)
            {
                return (null, $"the {kindName} tokenizer needs {missing}=PATH (relative to the project; the build copies it to the same path in the app folder)");
            }

            var ids = inputs.FirstOrDefault(t => t.OnnxName == Ids);
            if (ids is null)
            {
                return (null, $"the model has no input '{Ids}' for the tokenizer to fill (its inputs: {string.Join(", ", inputs.Select(t => t.OnnxName))})");
            }

            foreach (var input in inputs)
            {
                if (input.OnnxName is not (Ids or Mask or Types))
                {
                    return (null, $"the tokenizer fills only {Ids}, {Mask} and {Types}, and the model also has the input '{input.OnnxName}'");
                }

                if (input.ClrType != "long" || input.Shape.Count != 2 || !input.Shape.Equals(ids.Shape))
                {
                    return (null, $"the tokenizer's inputs must be int64 [batch, sequence] alike, and '{input.OnnxName}' is {input.ElementType} [{string.Join(",", input.Shape.Select(Text))}]");
                }
            }

            var sequence = ids.Shape[1];
            if (sequence.Size is { } fixedLength)
            {
                if (max is null || max > fixedLength)
                {
                    return (null, $"the model's sequence length is fixed at {fixedLength}: set max={fixedLength} or less");
                }
            }

            return (new TextSpec(text.Trim(), max ?? DefaultMaxTokens, Ids, Present(inputs, Mask), Present(inputs, Types), ids.Shape[0], sequence), null);
        }

        public static (EmbedSpec? Spec, string? Error) ParseEmbed(string text, TextSpec? tokenizer, IReadOnlyList<TensorSpec> outputs)
        {
            var parts = text.Split(';').Select(p => p.Trim().ToLowerInvariant()).Where(p => p.Length > 0).ToArray();
            if (parts.Length > 2 || (parts.Length == 2 && parts[1] != "l2norm"))
            {
                return (null, "use meanpool, meanpool;l2norm, cls or cls;l2norm");
            }

            if (tokenizer is null)
            {
                return (null, $"{parts[0]} embeds text: it needs a tokenizer Preprocess (bert, wordpiece, sentencepiece or bpe)");
            }

            var hidden = outputs.FirstOrDefault(t => t.OnnxName == "last_hidden_state") ?? outputs.FirstOrDefault(t => t.ClrType == "float" && t.Shape.Count == 3);
            if (hidden is null || hidden.ClrType != "float" || hidden.Shape.Count != 3 || !Equals(hidden.Shape[0], tokenizer.Batch) || !Equals(hidden.Shape[1], tokenizer.Sequence)
                || hidden.Shape[2].Size is not { } size || size < 1 || size > 1 << 20)
            {
                var found = hidden is null ? "the model has none" : $"'{hidden.OnnxName}' is {hidden.ElementType} [{string.Join(",", hidden.Shape.Select(Text))}]";
                return (null, $"{parts[0]} needs a float output [batch, sequence, size] with a fixed size (last_hidden_state), and {found}; a size that is a symbol is resolved by building with a DeepSeek.Build that writes manifest schema 2");
            }

            foreach (var output in outputs)
            {
                var unsized = output.Shape.FirstOrDefault(d => d.Size is null && !Equals(d, tokenizer.Batch) && !Equals(d, tokenizer.Sequence));
                if (unsized is not null)
                {
                    return (null, $"the output '{output.OnnxName}' has the dim '{unsized.Symbol}', which neither the batch nor the sequence gives, so Embed cannot size it");
                }
            }

            return (new EmbedSpec(parts[0], parts.Length == 2, hidden.OnnxName, (int)size), null);
        }

        /// <summary>Why a spec's file path cannot be used, or null: it must be relative, stay in the folder and be plain text for MSBuild.</summary>
        private static string? PathProblem(string path)
        {
            if (path.Length == 0)
            {
                return "is empty";
            }

            if (path[0] is '/' or '\\' || path.IndexOf(':') >= 0)
            {
                return "is not a relative path";
            }

            if (path.Split('/', '\\').Any(segment => segment == ".."))
            {
                return "leaves the project folder ('..')";
            }

            return path.Any(c => char.IsControl(c) || c is '*' or '?' or '%' or '$' or '@' or '\'' or '"' or '<' or '>' or '|')
                ? "has a character that is not allowed in a path here (* ? % $ @ ' \" < > | or a control character)"
                : null;
        }

        private static string Kind(string text)
        {
            var end = text.IndexOf(';');
            return (end < 0 ? text : text.Substring(0, end)).Trim().ToLowerInvariant();
        }

        private static string? Present(IReadOnlyList<TensorSpec> inputs, string name) => inputs.Any(t => t.OnnxName == name) ? name : null;

        private static string Text(DimensionSpec d) => d.Size?.ToString(CultureInfo.InvariantCulture) ?? d.Symbol ?? "?";
    }
}
