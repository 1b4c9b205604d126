using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Verification;

/// <summary>
/// Infers each output's <see cref="OutputKind"/> from the graph (docs/recipes.md, "Output kinds and budgets"): the output's
/// element type, shape and name, the operator that produces it, and the model's inputs (token ids: integer inputs that index
/// a constant table through a <c>Gather</c>; images: float inputs of rank 4). <c>Task</c> (<c>--task</c>) overrides the kind of
/// every floating-point output, <c>--output-kind name=kind</c> one output's.
/// </summary>
public static class OutputKindInference
{
    private static readonly string[] Transparent = ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast", "Transpose"];

    /// <summary>The kind of every output of <paramref name="model"/>, in model order.</summary>
    /// <param name="model">The original model.</param>
    /// <param name="task">A kind for every floating-point output (<c>Task</c>), or null.</param>
    /// <param name="perOutput">Kinds by output name (<c>--output-kind</c>), over <paramref name="task"/>.</param>
    /// <exception cref="DeepSeekException">DSB0065 for an unknown kind or an output name the model does not have.</exception>
    public static IReadOnlyDictionary<string, OutputKindChoice> Resolve(OnnxModel model, string? task = null, IReadOnlyDictionary<string, string>? perOutput = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var outputs = model.Graph.Outputs;
        var taskKind = string.IsNullOrWhiteSpace(task) ? (OutputKind?)null : OutputKinds.Parse(task, "--task");
        foreach (var name in perOutput?.Keys ?? [])
        {
            if (outputs.All(o => o.Name != name))
            {
                throw new DeepSeekException(DiagnosticIds.InvalidOption, "--output-kind", $"the model has no output {Names.Quote(name)}",
                    "name one of its outputs: " + string.Join(", ", outputs.Select(o => o.Name)));
            }
        }

        var facts = new ModelFacts(model);
        var kinds = new Dictionary<string, OutputKindChoice>(StringComparer.Ordinal);
        foreach (var output in outputs)
        {
            kinds[output.Name] = perOutput is not null && perOutput.TryGetValue(output.Name, out var given)
                ? new OutputKindChoice(OutputKinds.Parse(given, "--output-kind"), "--output-kind")
                : taskKind is { } kind && !Evaluator.IsExact(output.ElementType)
                    ? new OutputKindChoice(kind, "--task")
                    : Infer(output, facts);
        }

        return kinds;
    }

    /// <summary>The inferred kind of one output.</summary>
    private static OutputKindChoice Infer(ValueInfo output, ModelFacts facts)
    {
        if (Evaluator.IsExact(output.ElementType))
        {
            return new(OutputKind.Other, $"inferred: {output.ElementTypeName} values, compared exactly");
        }

        var name = output.Name.ToLowerInvariant();
        var shape = output.Shape ?? [];
        var rank = shape.Count;
        var last = rank > 0 ? shape[^1].Value : null;
        var producer = facts.Producer(output.Name);
        var shapeText = output.ShapeText;
        var by = producer is null ? "" : $" from {producer}";
        OutputKindChoice Kind(OutputKind kind, string why) => new(kind, $"inferred: {shapeText}{by}{why}");

        if (facts.Vocabulary is { } vocabulary && rank == 3)
        {
            // Per token: scores over the vocabulary (a language model), scores over a few labels (token classification), else hidden states.
            if (last == vocabulary || (Has(name, "logit") && last is null or >= 1000))
            {
                return Kind(OutputKind.LanguageModel, $", one score per token of the {vocabulary}-row table");
            }

            if (Has(name, "logit", "prob", "label", "tag") || producer is "Softmax" or "LogSoftmax")
            {
                return Kind(OutputKind.Sequence, ", scores per token");
            }

            return Kind(OutputKind.Embedding, " over token ids: vectors per token, pooled by the attention mask");
        }

        if (rank == 4 && !(shape[2].Value == 1 && shape[3].Value == 1))
        {
            return Kind(OutputKind.Dense, ", a map per sample");
        }

        if (rank == 3 && producer is "Softmax" or "LogSoftmax")
        {
            return Kind(OutputKind.Sequence, ", scores per position");
        }

        if (rank is 2 or 4 || (rank == 1 && facts.Vocabulary is null))
        {
            if (Has(name, "embed", "pool", "sentence", "feature", "hidden", "vector") || producer is "GlobalAveragePool" or "ReduceMean" or "LpNormalization" or "Div" or "Tanh")
            {
                return Kind(OutputKind.Embedding, ", a vector per sample");
            }

            if (Has(name, "logit", "prob", "class", "score", "label", "output") || producer is "Softmax" or "LogSoftmax" or "Sigmoid" or "Gemm" or "MatMul" or "Add")
            {
                return Kind(OutputKind.Classification, ", scores per sample");
            }
        }

        return Kind(OutputKind.Other, ", compared as values");
    }

    private static bool Has(string name, params string[] parts) => parts.Any(p => name.Contains(p, StringComparison.Ordinal));

    /// <summary>What the inference reads once per model.</summary>
    private sealed class ModelFacts
    {
        private readonly GraphEditor editor;

        public ModelFacts(OnnxModel model)
        {
            editor = new GraphEditor(model.Proto.Graph);
            Vocabulary = model.Graph.Inputs
                .Where(i => i.ElementType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32)
                .Select(i => RandomInputs.TableRows(editor, i.Name))
                .Where(rows => rows is > 0)
                .Max();
        }

        /// <summary>The rows of the largest table a token-id input indexes, or null when no input is token ids.</summary>
        public long? Vocabulary { get; }

        /// <summary>The operator producing <paramref name="value"/>, looking through reshapes and casts; null for an input.</summary>
        public string? Producer(string value)
        {
            var node = editor.Producer(value);
            for (var hops = 0; node is not null && Transparent.Contains(node.OpType) && node.Input.Count > 0 && hops < 16; hops++)
            {
                node = editor.Producer(node.Input[0]);
            }

            return node?.OpType;
        }
    }
}
