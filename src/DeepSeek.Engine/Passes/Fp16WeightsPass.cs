using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Operators;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// Stores float weights (initializers and Constant node values) as float16 and inserts a <c>Cast</c> back to float in front
/// of their readers; an embedding table (a registry <see cref="WeightLayout.Rows"/> reader, Gather) is gathered in float16 and
/// the Cast follows the Gather, so that only the rows read are converted. Inputs, outputs and every operator stay fp32, so each op keeps the kernel it had (ONNX Runtime's CPU
/// provider has fp16 kernels for few ops); the model halves in size and loses only fp16 rounding of the weights. A tensor with
/// a value outside the fp16 range (±65504: a BatchNormalization variance, an attention mask's large negative) stays fp32
/// and is counted: clamping it changed results (ResNet-18's cosine fell to 0.99985). The fp16 recipe folds
/// BatchNormalization into the convolutions first, so that such statistics are gone before this pass.
/// </summary>
public sealed class Fp16WeightsPass : IGraphPass
{
    /// <summary>Tensors with fewer elements stay float (a Cast would cost more than it saves).</summary>
    public const int MinElements = 16;

    /// <inheritdoc />
    public string Name => "fp16-weights";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        var editor = GraphEditor.For(model);
        long converted = 0, elements = 0, keptFloat = 0, tables = 0;
        var inputs = editor.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var tensor in editor.Graph.Initializer.ToArray())
        {
            if (tensor.DataType != (int)TensorProto.Types.DataType.Float || inputs.Contains(tensor.Name) || Count(tensor) < MinElements)
            {
                continue;
            }

            if (ToHalf(Tensors.ReadFloats(tensor, model)) is not { } half)
            {
                keptFloat++;
                continue;
            }

            var original = tensor.Name;
            var readers = editor.Consumers(original);
            var stored = editor.AddInitializer(original + "_fp16", Tensors.Float16(half, [.. tensor.Dims]));
            editor.Graph.Initializer.Remove(tensor);
            if (readers.Count > 0 && !editor.IsGraphOutput(original)
                && readers.All(r => OperatorRegistry.Find(r) is { Layout: WeightLayout.Rows, WeightInput: { } w } && r.Input[w] == original && r.Input.Count(i => i == original) == 1))
            {
                // An embedding table: gathered in fp16 and only the rows read are cast, so the runtime never holds an fp32 copy.
                foreach (var gather in readers)
                {
                    var rows = editor.UniqueName(gather.Output[0] + "_fp16");
                    var output = gather.Output[0];
                    gather.Input[OperatorRegistry.Find(gather)!.WeightInput!.Value] = stored;
                    gather.Output[0] = rows;
                    AddCast(editor, rows, output);
                }

                tables++;
            }
            else
            {
                AddCast(editor, stored, original);
            }

            converted++;
            elements += half.Length;
        }

        foreach (var node in editor.Graph.Node.Where(n => n.OpType == "Constant" && n.Domain is "" or "ai.onnx").ToArray())
        {
            var value = Tensors.Attribute(node, "value");
            if (value?.T is not { } tensor || tensor.DataType != (int)TensorProto.Types.DataType.Float || Count(tensor) < MinElements)
            {
                continue;
            }

            if (ToHalf(Tensors.ReadFloats(tensor, model)) is not { } half)
            {
                keptFloat++;
                continue;
            }

            var original = node.Output[0];
            value.T = Tensors.Float16(half, [.. tensor.Dims]);
            var stored = editor.UniqueName(original + "_fp16");
            node.Output[0] = stored;
            AddCast(editor, stored, original);
            converted++;
            elements += half.Length;
        }

        editor.SortTopologically();
        return new PassResult(Name, $"{converted} weight tensor(s), {elements} values, stored as float16 ({keptFloat} kept in fp32: values beyond ±65504; {tables} embedding table(s) cast after the Gather)",
            new Dictionary<string, long> { ["tensors"] = converted, ["values"] = elements, ["keptFloat"] = keptFloat, ["tables"] = tables });
    }

    private static void AddCast(GraphEditor editor, string from, string to)
    {
        var cast = editor.AddNode("Cast", [from], [to], name: to + "_to_float");
        Tensors.SetInt(cast, "to", (long)TensorProto.Types.DataType.Float);
    }

    private static long Count(TensorProto tensor) => tensor.Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as float16, or null when one is finite and beyond the fp16 range.</summary>
    private static Half[]? ToHalf(float[] values)
    {
        var half = new Half[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsFinite(v) && MathF.Abs(v) > 65504f)
            {
                return null;
            }

            half[i] = (Half)v;
        }

        return half;
    }
}
