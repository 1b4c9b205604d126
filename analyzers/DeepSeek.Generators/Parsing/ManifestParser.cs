using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DeepSeek.Generators.Emitting;
using DeepSeek.Generators.Json;
using DeepSeek.Generators.Model;

namespace DeepSeek.Generators.Parsing
{
    /// <summary>What the build says about one manifest (AdditionalFiles metadata and project properties).</summary>
    internal sealed record ManifestInput(string Path, string Text, string ClassName, string Namespace, string ModelPath, string RootNamespace,
        string Preprocess = "", string Postprocess = "");

    /// <summary>Turns a manifest (docs/manifest.md) into a <see cref="ModelSpec"/>, or into diagnostics, never an exception.</summary>
    internal static class ManifestParser
    {
        private static readonly char[] EqualsSign = { '=' };

        /// <summary>Manifests larger than this are refused (a model's interface is a few kilobytes).</summary>
        public const int MaxLength = 1 << 20;

        /// <summary>
        /// The newest manifest schema this generator reads. Schema 2 gives output dims in terms of the input symbols (resolved
        /// at build); its shapes read as schema 1's did (a string is a symbol, one name one dim), so both parse alike.
        /// </summary>
        public const int MaxSchemaVersion = 2;

        private static readonly Dictionary<string, string> ClrTypes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["float"] = "float",
            ["double"] = "double",
            ["int64"] = "long",
            ["int32"] = "int",
            ["int16"] = "short",
            ["uint16"] = "ushort",
            ["uint8"] = "byte",
            ["int8"] = "sbyte",
            ["bool"] = "bool",
        };

        public static (ModelSpec? Spec, DiagnosticInfo? Diagnostic) Parse(ManifestInput input)
        {
            if (input.Text.Length > MaxLength)
            {
                return (null, Error(input.Path, $"it is larger than {MaxLength} characters"));
            }

            JsonNode root;
            try
            {
                root = JsonNode.Parse(input.Text);
            }
            catch (FormatException e)
            {
                return (null, Error(input.Path, "it is not JSON (" + e.Message + ")"));
            }

            if (root is not JsonObject || root["inputs"] is not JsonArray inputs || root["outputs"] is not JsonArray outputs)
            {
                return (null, Error(input.Path, "it has no 'inputs' and 'outputs' arrays"));
            }

            if (root["schemaVersion"] is JsonNumber { Integer: { } schema } && schema > MaxSchemaVersion)
            {
                return (null, Error(input.Path, $"its schema version {schema} is newer than this generator reads ({MaxSchemaVersion})"));
            }

            var modelPath = input.ModelPath.Length > 0 ? input.ModelPath.Replace('\\', '/') : Path.GetFileName(input.Path).Replace(".model.json", "");
            var className = Identifiers.From(input.ClassName.Length > 0 ? input.ClassName : Path.GetFileNameWithoutExtension(modelPath), pascal: true);
            var ns = input.Namespace.Length > 0 ? input.Namespace : DefaultNamespace(input.RootNamespace, modelPath);

            // Names the wrapper uses itself (fields, constructor and helper parameters): a model value with one of these names
            // gets a numbered parameter instead of shadowing them.
            var names = new HashSet<string>(StringComparer.Ordinal)
            {
                "options", "modelPath", "model", "stream", "session", "runOptions", "binding", "rgb", "probabilities", "indices", "values",
                "text", "texts", "embedding", "embeddings",
            };
            var symbols = new List<SymbolSpec>();
            var specs = new List<TensorSpec>[2];
            var groups = new[] { ("input", inputs), ("output", outputs) };
            for (var g = 0; g < 2; g++)
            {
                specs[g] = new List<TensorSpec>();
                foreach (var item in groups[g].Item2.Items)
                {
                    var onnxName = item["name"]?.AsString() ?? "";
                    var elementType = item["elementType"]?.AsString() ?? "";
                    if (!ClrTypes.TryGetValue(elementType, out var clr))
                    {
                        return (null, new DiagnosticInfo("DSG0003", input.Path, new EquatableArray<string>(new[] { modelPath, groups[g].Item1, onnxName, elementType })));
                    }

                    var dims = new List<DimensionSpec>();
                    if (item["shape"] is JsonArray shape)
                    {
                        foreach (var dim in shape.Items)
                        {
                            if (dim is JsonNumber { Integer: { } size } && size >= 0)
                            {
                                dims.Add(new DimensionSpec(size, null));
                            }
                            else
                            {
                                var symbol = dim.AsString() ?? "dim";
                                if (!symbols.Any(s => s.Symbol == symbol))
                                {
                                    symbols.Add(new SymbolSpec(symbol, string.Empty));
                                }

                                dims.Add(new DimensionSpec(null, symbol));
                            }
                        }
                    }

                    specs[g].Add(new TensorSpec(onnxName, Identifiers.Unique(Identifiers.From(onnxName, pascal: false), names), elementType, clr, new EquatableArray<DimensionSpec>(dims)));
                }
            }

            var namedSymbols = symbols.Select(s => new SymbolSpec(s.Symbol, Identifiers.Unique(Identifiers.From(s.Symbol, pascal: false), names))).ToList();
            var sessionOptions = root["sessionOptions"] is JsonObject o
                ? o.Members.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new SessionOptionSpec(m.Key, m.Value.AsString() ?? "")).ToList()
                : new List<SessionOptionSpec>();
            PreprocessSpec? preprocess = null;
            TextSpec? text = null;
            string? problem = null;
            if (input.Preprocess.Length > 0)
            {
                if (TextProcessingParser.IsText(input.Preprocess))
                {
                    (text, problem) = TextProcessingParser.ParseText(input.Preprocess, specs[0]);
                }
                else
                {
                    (preprocess, problem) = ParsePreprocess(input.Preprocess, specs[0]);
                }

                if (problem is not null)
                {
                    return (null, InvalidProcessing(input, modelPath, "Preprocess", input.Preprocess, problem));
                }
            }

            PostprocessSpec? postprocess = null;
            EmbedSpec? embed = null;
            if (input.Postprocess.Length > 0)
            {
                if (TextProcessingParser.IsEmbed(input.Postprocess))
                {
                    (embed, problem) = TextProcessingParser.ParseEmbed(input.Postprocess, text, specs[1]);
                }
                else
                {
                    (postprocess, problem) = ParsePostprocess(input.Postprocess, specs[1]);
                }

                if (problem is not null)
                {
                    return (null, InvalidProcessing(input, modelPath, "Postprocess", input.Postprocess, problem));
                }
            }

            return (new ModelSpec(ns, className, modelPath, root["profile"]?.AsString() ?? "", root["recipe"]?.AsString() ?? "",
                new EquatableArray<TensorSpec>(specs[0]), new EquatableArray<TensorSpec>(specs[1]), new EquatableArray<SymbolSpec>(namedSymbols),
                new EquatableArray<SessionOptionSpec>(sessionOptions), preprocess, postprocess, text, embed), null);
        }

        /// <summary><c>rgb8;mean=0.485,0.456,0.406;std=0.229,0.224,0.225;layout=nchw</c> for a float input [N,3,H,W] with fixed H and W.</summary>
        private static (PreprocessSpec? Spec, string? Error) ParsePreprocess(string text, List<TensorSpec> inputs)
        {
            var parts = text.Split(';').Select(p => p.Trim()).Where(p => p.Length > 0).ToArray();
            if (parts.Length == 0 || parts[0] != "rgb8")
            {
                return (null, "use rgb8;mean=...;std=...;layout=nchw for images, or a tokenizer: bert;vocab=PATH, wordpiece;vocab=PATH, sentencepiece;model=PATH or bpe;vocab=PATH;merges=PATH");
            }

            float[] mean = { 0, 0, 0 }, std = { 1, 1, 1 };
            foreach (var part in parts.Skip(1))
            {
                var pair = part.Split(EqualsSign, 2);
                if (pair.Length != 2)
                {
                    return (null, $"'{part}' is not key=value");
                }

                switch (pair[0].Trim())
                {
                    case "mean" when TryFloats(pair[1], out var m):
                        mean = m;
                        break;
                    case "std" when TryFloats(pair[1], out var s) && s.All(v => v > 0):
                        std = s;
                        break;
                    case "layout" when pair[1].Trim() == "nchw":
                        break;
                    default:
                        return (null, $"'{part}' is not mean=3 numbers, std=3 positive numbers or layout=nchw");
                }
            }

            if (inputs.Count == 0 || inputs[0].ClrType != "float" || inputs[0].Shape.Count != 4 || inputs[0].Shape[1].Size != 3
                || inputs[0].Shape[2].Size is not { } height || inputs[0].Shape[3].Size is not { } width)
            {
                return (null, "the first input must be float [N,3,H,W] with fixed H and W");
            }

            return (new PreprocessSpec((int)height, (int)width, new EquatableArray<float>(mean), new EquatableArray<float>(std)), null);
        }

        private static bool TryFloats(string text, out float[] values)
        {
            var items = text.Split(',');
            values = new float[items.Length];
            for (var i = 0; i < items.Length; i++)
            {
                if (!float.TryParse(items[i].Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || float.IsNaN(values[i]) || float.IsInfinity(values[i]))
                {
                    return false;
                }
            }

            return values.Length == 3;
        }

        /// <summary>
        /// <c>softmax</c>, <c>argmax</c>, <c>l2norm</c> or <c>topk:K</c> over the first output (float), or
        /// <c>dequantize:scale=S,zero=Z</c> for a uint8/int8 first output.
        /// </summary>
        private static (PostprocessSpec? Spec, string? Error) ParsePostprocess(string text, List<TensorSpec> outputs)
        {
            var value = text.Trim();
            if (value.StartsWith("dequantize:", StringComparison.Ordinal))
            {
                if (outputs.Count == 0 || outputs[0].ClrType is not ("byte" or "sbyte"))
                {
                    return (null, "dequantize needs a uint8 or int8 first output");
                }

                float scale = 0;
                int zero = 0;
                foreach (var part in value.Substring(11).Split(','))
                {
                    var pair = part.Split(EqualsSign, 2);
                    var ok = pair.Length == 2 && (pair[0].Trim() switch
                    {
                        "scale" => float.TryParse(pair[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out scale) && scale > 0 && !float.IsInfinity(scale),
                        "zero" => int.TryParse(pair[1], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out zero) && zero is >= -128 and <= 255,
                        _ => false,
                    });
                    if (!ok)
                    {
                        return (null, $"'{part}' is not scale=S (positive) or zero=Z (-128..255)");
                    }
                }

                return scale > 0 ? (new PostprocessSpec("dequantize", 0, scale, zero), null) : (null, "dequantize needs scale=S");
            }

            if (outputs.Count == 0 || outputs[0].ClrType != "float")
            {
                return (null, "the first output must be float");
            }

            if (value is "softmax" or "argmax" or "l2norm")
            {
                return (new PostprocessSpec(value, 0), null);
            }

            if (value.StartsWith("topk:", StringComparison.Ordinal) && int.TryParse(value.Substring(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) && k is > 0 and <= 1000)
            {
                return (new PostprocessSpec("topk", k), null);
            }

            return (null, "use softmax, argmax, l2norm, topk:K (K from 1 to 1000), dequantize:scale=S,zero=Z, or for text meanpool, cls (each with ;l2norm)");
        }

        /// <summary>The root namespace plus the model's folders: <c>App.Models</c> for <c>Models/x.onnx</c>.</summary>
        private static string DefaultNamespace(string rootNamespace, string modelPath)
        {
            var parts = new List<string>();
            foreach (var part in (rootNamespace.Length > 0 ? rootNamespace : "DeepSeekModels").Split('.'))
            {
                parts.Add(Identifiers.From(part, pascal: true));
            }

            var folders = modelPath.Split('/');
            for (var i = 0; i < folders.Length - 1; i++)
            {
                if (folders[i].Length > 0 && folders[i] != "." && folders[i] != "..")
                {
                    parts.Add(Identifiers.From(folders[i], pascal: true));
                }
            }

            return string.Join(".", parts);
        }

        private static DiagnosticInfo InvalidProcessing(ManifestInput input, string modelPath, string metadata, string value, string problem)
            => new DiagnosticInfo("DSG0004", input.Path, new EquatableArray<string>(new[] { modelPath, metadata, value, problem }));

        private static DiagnosticInfo Error(string file, string reason) => new DiagnosticInfo("DSG0001", file, new EquatableArray<string>(new[] { file, reason }));
    }
}
