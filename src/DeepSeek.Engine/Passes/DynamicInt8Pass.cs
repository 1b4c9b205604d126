using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Operators;
using DeepSeek.Engine.Passes.Int8;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// INT8 dynamic quantization of MatMul (and Gemm) with constant weights: weights become int8, per output column and
/// symmetric, with the profile's bit width (7 bits where AVX2 u8s8 kernels would saturate); activations are quantized at run
/// time (one DynamicQuantizeLinear per activation, shared by its readers). The form is the one ONNX Runtime fuses into its DynamicQuantizeMatMul kernel:
/// <c>DynamicQuantizeLinear → MatMulInteger → Cast → Mul(x_scale · w_scale)</c>.
/// </summary>
public sealed class DynamicInt8Pass(HardwareProfile profile) : IGraphPass
{
    /// <summary>Weights with fewer elements stay float.</summary>
    public const int MinElements = 64;

    /// <inheritdoc />
    public string Name => "int8-dynamic";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        var editor = GraphEditor.For(model);
        var bits = profile.Int8.WeightBits;
        long quantized = 0, gemms = 0, values = 0;
        var form = new DynamicMatMulForm(editor);
        var quantizedWeights = new Dictionary<(string Weight, string Gemm), (string Values, string ZeroPoint, string Scale)>();
        var targets = editor.Graph.Node.Where(n => OperatorRegistry.Is(n, e => e.Dynamic)).ToArray();
        for (var t = 0; t < targets.Length; t++)
        {
            var node = targets[t];
            context.Step(Name, t, targets.Length, node.Input.Count > 1 ? node.Input[1] : node.Name);
            var weight = OperatorRegistry.Weight(node, editor);
            if (weight is null || weight.Dims[0] * weight.Dims[1] < MinElements)
            {
                continue;
            }

            var bias = (string?)null;
            var matrix = Tensors.ReadFloats(weight, model);
            int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
            if (OperatorRegistry.Find(node)!.Layout == WeightLayout.GemmB)
            {
                if (Tensors.IntAttribute(node, "transA", 0) != 0)
                {
                    continue;
                }

                var alpha = Tensors.FloatAttribute(node, "alpha", 1f);
                var beta = Tensors.FloatAttribute(node, "beta", 1f);
                if (Tensors.IntAttribute(node, "transB", 0) != 0)
                {
                    matrix = Transpose(matrix, rows, columns);
                    (rows, columns) = (columns, rows);
                }

                for (var i = 0; i < matrix.Length && alpha != 1f; i++)
                {
                    matrix[i] *= alpha;
                }

                if (node.Input.Count > 2 && node.Input[2].Length > 0)
                {
                    bias = node.Input[2];
                    if (beta != 1f)
                    {
                        var c = editor.ConstantTensor(bias);
                        if (c is null || c.DataType != (int)TensorProto.Types.DataType.Float)
                        {
                            continue;
                        }

                        var scaled = Tensors.ReadFloats(c, model).Select(v => v * beta).ToArray();
                        bias = editor.AddInitializer(bias + "_scaled", Tensors.Float(scaled, [.. c.Dims]));
                    }
                }

                gemms++;
            }

            var prefix = string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name;

            // A weight read by several MatMuls (shared, or tied) is stored once in int8.
            var key = (node.Input[1], Gemm: OperatorRegistry.Find(node)!.Layout == WeightLayout.GemmB ? prefix : ""); // Gemm folds alpha and transB: its own copy
            if (!quantizedWeights.TryGetValue(key, out var w))
            {
                var (q, scales) = WeightQuantization.PerColumn(matrix, rows, columns, bits);
                w = (editor.AddInitializer(node.Input[1] + "_quantized", Tensors.Int8(q, rows, columns)),
                    editor.AddInitializer(node.Input[1] + "_zero_point", Tensors.Int8(new sbyte[columns], columns)),
                    editor.AddInitializer(node.Input[1] + "_scale", Tensors.Float(scales, columns)));
                quantizedWeights[key] = w;
                values += q.Length;
            }

            var (wq, wzp, ws) = w;
            form.Add(prefix, node.Input[0], wq, wzp, ws, node.Output[0], bias);
            editor.RemoveNode(node);
            quantized++;
        }

        editor.RemoveUnusedInitializers();
        editor.SortTopologically();
        return new PassResult(Name, $"{quantized} MatMul/Gemm node(s) quantized ({gemms} Gemm), {values} weights in {bits}-bit int8, activations quantized at run time",
            new Dictionary<string, long> { ["nodes"] = quantized, ["gemm"] = gemms, ["weights"] = values, ["weightBits"] = bits });
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = matrix[(r * columns) + c];
            }
        }

        return result;
    }
}
