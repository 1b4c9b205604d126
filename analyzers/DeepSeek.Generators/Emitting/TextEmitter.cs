using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepSeek.Generators.Model;

namespace DeepSeek.Generators.Emitting
{
    /// <summary>
    /// The text members of a wrapper: <c>Tokenize</c> from a tokenizer <c>Preprocess</c>, and <c>Embed</c> (one text, or a list)
    /// from a <c>meanpool</c>/<c>cls</c> <c>Postprocess</c>, over DeepSeek.Runtime.Text.
    /// </summary>
    /// <remarks>
    /// <c>Embed</c> runs the model through its own IoBindings, one per (batch, sequence) bucket: batches of 1, 2, 4... 32 texts
    /// and sequences of 8, 16, 32... tokens up to <c>MaxTokens</c> (or the model's fixed sizes). A call tokenizes its texts
    /// into held rows, takes the smallest bucket that fits the longest text, pads the rest with the mask at 0 (rows beyond the
    /// texts repeat the first text, and are dropped), runs, pools with the attention mask and normalizes into the caller's
    /// span. Buckets are made on first use and kept, so after warm-up the wrapper allocates nothing of its own; the tokenizer
    /// (Microsoft.ML.Tokenizers) allocates its token list per text.
    /// </remarks>
    internal static class TextEmitter
    {
        private const string Ort = "global::Microsoft.ML.OnnxRuntime";
        private const string Text = "global::DeepSeek.Runtime.Text";
        private const int LargestBatch = 32;

        public static void Emit(IndentedWriter w, ModelSpec spec)
        {
            if (spec.Text is not { } text)
            {
                return;
            }

            var ids = Input(spec, text.IdsInput)!;
            var mask = Input(spec, text.MaskInput);
            var types = Input(spec, text.TypesInput);
            var rowWidth = text.Sequence.Size is { } fixedSequence ? (int)fixedSequence : text.MaxTokens;
            w.Line($"/// <summary>The tokenizer the <c>Preprocess</c> metadata declared (DeepSeek.Runtime.Text.TextTokenizer's spec; its files are read from the app's base directory).</summary>");
            w.Line($"public const string TokenizerSpec = {Identifiers.Literal(text.Spec)};");
            w.Line("/// <summary>The most tokens one text becomes, special tokens included; the spans <c>Tokenize</c> fills hold at least this many.</summary>");
            w.Line($"public const int MaxTokens = {text.MaxTokens.ToString(CultureInfo.InvariantCulture)};");
            w.Line($"private const int _rowWidth = {rowWidth.ToString(CultureInfo.InvariantCulture)};");
            w.Line($"private {Text}.TextTokenizer? _tokenizer;");
            if (mask is null || types is null)
            {
                w.Line("private long[]? _tokenizeScratch;");
            }
            w.Line();
            w.Line("/// <summary>The tokenizer, created from <see cref=\"TokenizerSpec\"/> on first use (its vocabulary is read then: a missing file throws DSR0003).</summary>");
            w.Line($"public {Text}.TextTokenizer Tokenizer => _tokenizer ??= {Text}.TextTokenizer.FromSpec(TokenizerSpec, global::System.AppContext.BaseDirectory);");
            w.Line();
            var parameters = new[] { ids, mask, types }.Where(t => t is not null).Select(t => $"global::System.Span<long> {t!.Identifier}");
            w.Line($"/// <summary>Tokenizes <paramref name=\"text\"/> into one row of the model's inputs (each span at least <see cref=\"MaxTokens\"/> long; the rest is padded with 0); returns the token count.</summary>");
            w.Line($"public int Tokenize(string text, {string.Join(", ", parameters)})");
            w.Open();
            if (mask is null || types is null)
            {
                w.Line("var scratch = global::System.MemoryExtensions.AsSpan(_tokenizeScratch ??= new long[2 * _rowWidth]);");
            }

            w.Line($"return Tokenizer.Encode(text, {ids.Identifier}, {mask?.Identifier ?? "scratch.Slice(0, _rowWidth)"}, {types?.Identifier ?? "scratch.Slice(_rowWidth, _rowWidth)"});");
            w.Close();
            w.Line();
            if (spec.Embed is { } embed)
            {
                EmitEmbed(w, spec, text, embed, rowWidth);
            }
        }

        private static void EmitEmbed(IndentedWriter w, ModelSpec spec, TextSpec text, EmbedSpec embed, int rowWidth)
        {
            var batches = text.Batch.Size is { } fixedBatch ? new[] { (int)fixedBatch } : Buckets(1, LargestBatch);
            var sequences = text.Sequence.Size is { } fixedSequence ? new[] { (int)fixedSequence } : Buckets(8, text.MaxTokens);
            var chunk = batches[batches.Length - 1];
            var how = (embed.Pooling == "cls" ? "the first token's vector" : "the mean of the token vectors under the attention mask") + (embed.Normalize ? ", scaled to unit length" : "");
            w.Line($"/// <summary>The length of one embedding (the hidden size of <c>{Identifiers.Doc(embed.HiddenOutput)}</c>).</summary>");
            w.Line($"public const int EmbeddingSize = {embed.Size.ToString(CultureInfo.InvariantCulture)};");
            w.Line($"private const int _embedChunk = {chunk.ToString(CultureInfo.InvariantCulture)};");
            w.Line($"private static readonly int[] _embedBatches = {{ {string.Join(", ", batches.Select(b => b.ToString(CultureInfo.InvariantCulture)))} }};");
            w.Line($"private static readonly int[] _embedSequences = {{ {string.Join(", ", sequences.Select(b => b.ToString(CultureInfo.InvariantCulture)))} }};");
            w.Line("private _EmbedRun?[]? _embedRuns;");
            w.Line("private long[]? _embedIds;");
            w.Line("private long[]? _embedMask;");
            w.Line("private long[]? _embedTypes;");
            w.Line();
            w.Line($"/// <summary>Embeds one text into <paramref name=\"embedding\"/> (<see cref=\"EmbeddingSize\"/> floats): {how}. Allocation-free after warm-up except for the tokenizer's own token list.</summary>");
            w.Line("public void Embed(string text, global::System.Span<float> embedding)");
            w.Open();
            w.Line("if (text is null) throw new global::System.ArgumentNullException(nameof(text));");
            w.Line("if (embedding.Length < EmbeddingSize) throw new global::System.ArgumentException(\"needs room for \" + EmbeddingSize + \" values\", nameof(embedding));");
            w.Line("EmbedChunk(text, null, 0, 1, embedding);");
            w.Close();
            w.Line();
            w.Line($"/// <summary>Embeds <paramref name=\"texts\"/> into <paramref name=\"embeddings\"/>, one row of <see cref=\"EmbeddingSize\"/> floats per text, in order, {ChunkText(chunk)}: {how}.</summary>");
            w.Line("public void Embed(global::System.Collections.Generic.IReadOnlyList<string> texts, global::System.Span<float> embeddings)");
            w.Open();
            w.Line("if (texts is null) throw new global::System.ArgumentNullException(nameof(texts));");
            w.Line("if (embeddings.Length < texts.Count * EmbeddingSize) throw new global::System.ArgumentException(\"needs room for \" + (texts.Count * EmbeddingSize) + \" values\", nameof(embeddings));");
            w.Line("for (var start = 0; start < texts.Count; start += _embedChunk)");
            w.Open();
            w.Line("var count = global::System.Math.Min(_embedChunk, texts.Count - start);");
            w.Line("EmbedChunk(null, texts, start, count, embeddings.Slice(start * EmbeddingSize, count * EmbeddingSize));");
            w.Close();
            w.Close();
            w.Line();
            w.Line("/// <summary>Embeds <paramref name=\"texts\"/> and returns one array per text (allocates; prefer the span overloads in hot paths).</summary>");
            w.Line("public float[][] Embed(global::System.Collections.Generic.IReadOnlyList<string> texts)");
            w.Open();
            w.Line("if (texts is null) throw new global::System.ArgumentNullException(nameof(texts));");
            w.Line("var all = new float[texts.Count * EmbeddingSize];");
            w.Line("Embed(texts, all);");
            w.Line("var result = new float[texts.Count][];");
            w.Line("for (var i = 0; i < result.Length; i++) result[i] = global::System.MemoryExtensions.AsSpan(all, i * EmbeddingSize, EmbeddingSize).ToArray();");
            w.Line("return result;");
            w.Close();
            w.Line();
            EmitChunk(w, embed);
            w.Line();
            EmitRunClass(w, spec, text, embed);
            w.Line();
        }

        private static string ChunkText(int chunk) => $"{chunk.ToString(CultureInfo.InvariantCulture)} at a time";

        private static void EmitChunk(IndentedWriter w, EmbedSpec embed)
        {
            w.Line("private void EmbedChunk(string? single, global::System.Collections.Generic.IReadOnlyList<string>? texts, int start, int count, global::System.Span<float> output)");
            w.Open();
            w.Line("var tokenizer = Tokenizer;");
            w.Line("var ids = _embedIds ??= new long[_embedChunk * _rowWidth];");
            w.Line("var mask = _embedMask ??= new long[_embedChunk * _rowWidth];");
            w.Line("var types = _embedTypes ??= new long[_embedChunk * _rowWidth];");
            w.Line("var longest = 1;");
            w.Line("for (var r = 0; r < count; r++)");
            w.Open();
            w.Line("var text = single ?? texts![start + r] ?? throw new global::System.ArgumentException(\"texts[\" + (start + r) + \"] is null\", nameof(texts));");
            w.Line("var tokens = tokenizer.Encode(text, global::System.MemoryExtensions.AsSpan(ids, r * _rowWidth, _rowWidth), global::System.MemoryExtensions.AsSpan(mask, r * _rowWidth, _rowWidth), global::System.MemoryExtensions.AsSpan(types, r * _rowWidth, _rowWidth));");
            w.Line("if (tokens > longest) longest = tokens;");
            w.Close();
            w.Line();
            w.Line("var b = 0;");
            w.Line("while (_embedBatches[b] < count) b++;");
            w.Line("var s = 0;");
            w.Line("while (s < _embedSequences.Length - 1 && _embedSequences[s] < longest) s++;");
            w.Line("var runs = _embedRuns ??= new _EmbedRun?[_embedBatches.Length * _embedSequences.Length];");
            w.Line("var run = runs[b * _embedSequences.Length + s] ??= new _EmbedRun(session, _embedBatches[b], _embedSequences[s]);");
            w.Line("for (var r = 0; r < run.Batch; r++)");
            w.Open();
            w.Line("var from = (r < count ? r : 0) * _rowWidth;");
            w.Line("global::System.Array.Copy(ids, from, run.Ids, r * run.Sequence, run.Sequence);");
            w.Line("global::System.Array.Copy(mask, from, run.Mask, r * run.Sequence, run.Sequence);");
            w.Line("global::System.Array.Copy(types, from, run.Types, r * run.Sequence, run.Sequence);");
            w.Close();
            w.Line();
            w.Line("session.RunWithBinding(runOptions, run.Binding);");
            w.Line(embed.Pooling == "cls"
                ? $"{Text}.Pooling.Cls(run.Hidden, run.Batch, run.Sequence, EmbeddingSize, run.Pooled);"
                : $"{Text}.Pooling.MeanPool(run.Hidden, run.Mask, run.Batch, run.Sequence, EmbeddingSize, run.Pooled);");
            w.Line("var pooled = global::System.MemoryExtensions.AsSpan(run.Pooled, 0, count * EmbeddingSize);");
            w.Line("pooled.CopyTo(output);");
            if (embed.Normalize)
            {
                w.Line($"{Text}.Pooling.L2Normalize(output.Slice(0, count * EmbeddingSize), EmbeddingSize);");
            }

            w.Close();
        }

        /// <summary>One (batch, sequence) bucket: the model's inputs and outputs in pinned arrays bound once to ONNX Runtime.</summary>
        private static void EmitRunClass(IndentedWriter w, ModelSpec spec, TextSpec text, EmbedSpec embed)
        {
            w.Line("private sealed class _EmbedRun : global::System.IDisposable");
            w.Open();
            w.Line("public readonly int Batch;");
            w.Line("public readonly int Sequence;");
            w.Line("public readonly long[] Ids;");
            w.Line("public readonly long[] Mask;");
            w.Line("public readonly long[] Types;");
            w.Line("public readonly float[] Hidden;");
            w.Line("public readonly float[] Pooled;");
            w.Line($"public readonly {Ort}.OrtIoBinding Binding;");
            w.Line($"private readonly global::System.Collections.Generic.List<{Ort}.OrtValue> _values = new global::System.Collections.Generic.List<{Ort}.OrtValue>();");
            w.Line();
            w.Line($"public _EmbedRun({Ort}.InferenceSession session, int batch, int sequence)");
            w.Open();
            w.Line("Batch = batch;");
            w.Line("Sequence = sequence;");
            w.Line("Ids = new long[batch * sequence];");
            w.Line("Mask = new long[batch * sequence];");
            w.Line("Types = new long[batch * sequence];");
            w.Line("Hidden = new float[batch * sequence * EmbeddingSize];");
            w.Line("Pooled = new float[batch * EmbeddingSize];");
            w.Line("Binding = session.CreateIoBinding();");
            foreach (var input in spec.Inputs)
            {
                var array = input.OnnxName == text.IdsInput ? "Ids" : input.OnnxName == text.MaskInput ? "Mask" : "Types";
                w.Line($"Add({array}, {Shape(input, text)}, {Identifiers.Literal(input.OnnxName)}, true);");
            }

            foreach (var output in spec.Outputs)
            {
                var array = output.OnnxName == embed.HiddenOutput ? "Hidden" : $"new {output.ClrType}[{Length(output, text)}]";
                w.Line($"Add({array}, {Shape(output, text)}, {Identifiers.Literal(output.OnnxName)}, false);");
            }

            w.Close();
            w.Line();
            w.Line("private void Add<T>(T[] data, long[] shape, string name, bool input) where T : unmanaged");
            w.Open();
            w.Line($"var value = {Ort}.OrtValue.CreateTensorValueFromMemory(data, shape);");
            w.Line("_values.Add(value);");
            w.Line("if (input) Binding.BindInput(name, value); else Binding.BindOutput(name, value);");
            w.Close();
            w.Line();
            w.Line("public void Dispose()");
            w.Open();
            w.Line("Binding.Dispose();");
            w.Line("foreach (var value in _values) value.Dispose();");
            w.Close();
            w.Close();
        }

        /// <summary>The <c>_embedRuns</c> disposal for the wrapper's <c>Dispose</c>.</summary>
        public static void EmitDispose(IndentedWriter w, ModelSpec spec)
        {
            if (spec.Embed is not null)
            {
                w.Line("if (_embedRuns is not null) foreach (var run in _embedRuns) run?.Dispose();");
            }
        }

        private static string Shape(TensorSpec t, TextSpec text) => "new long[] { " + string.Join(", ", t.Shape.Select(d => Dim(d, text))) + " }";

        private static string Length(TensorSpec t, TextSpec text) => t.Shape.Count == 0 ? "1" : string.Join(" * ", t.Shape.Select(d => Dim(d, text)));

        /// <summary>A dim as code: fixed, or the bucket's batch or sequence (the parser refused any other symbol).</summary>
        private static string Dim(DimensionSpec d, TextSpec text)
            => d.Size is { } size ? size.ToString(CultureInfo.InvariantCulture) : Equals(d, text.Batch) ? "batch" : "sequence";

        /// <summary>Powers of two from <paramref name="first"/> below <paramref name="last"/>, then <paramref name="last"/>.</summary>
        private static int[] Buckets(int first, int last)
        {
            var buckets = new List<int>();
            for (var size = first; size < last; size *= 2)
            {
                buckets.Add(size);
            }

            buckets.Add(last);
            return buckets.ToArray();
        }

        private static TensorSpec? Input(ModelSpec spec, string? name) => name is null ? null : spec.Inputs.FirstOrDefault(t => t.OnnxName == name);
    }
}
