using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Passes.Int8;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// INT8 dynamic quantization of MatMul (and Gemm) with constant weights: weights become int8, per output column and
/// symmetric, with the profile's bit width (7 bits where AVX2 u8s8 kernels would saturate); activations are quantized at run
/// time. The form is the one ONNX Runtime fuses into its DynamicQuantizeMatMul kernel:
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
        var editor = new GraphEditor(model.Proto.Graph);
        var bits = profile.Int8.WeightBits;
        long quantized = 0, gemms = 0, values = 0;
        foreach (var node in editor.Graph.Node.Where(n => n.Domain is "" or "ai.onnx" && n.OpType is "MatMul" or "Gemm").ToArray())
        {
            var weight = editor.ConstantTensor(node.Input[1]);
            if (weight is null || weight.DataType != (int)TensorProto.Types.DataType.Float || weight.Dims.Count != 2 || weight.Dims[0] * weight.Dims[1] < MinElements)
            {
                continue;
            }

            var bias = (string?)null;
            var matrix = Tensors.ReadFloats(weight, model);
            int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
            if (node.OpType == "Gemm")
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

            var (q, scales) = WeightQuantization.PerColumn(matrix, rows, columns, bits);
            var prefix = string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name;
            var wq = editor.AddInitializer(node.Input[1] + "_quantized", Tensors.Int8(q, rows, columns));
            var wzp = editor.AddInitializer(node.Input[1] + "_zero_point", Tensors.Int8(new sbyte[columns], columns));
            var ws = editor.AddInitializer(node.Input[1] + "_scale", Tensors.Float(scales, columns));
            string xq = editor.UniqueName(prefix + "_x_quantized"), xs = editor.UniqueName(prefix + "_x_scale"), xzp = editor.UniqueName(prefix + "_x_zero_point");
            editor.AddNode("DynamicQuantizeLinear", [node.Input[0]], [xq, xs, xzp], name: prefix + "_quantize");
            var y32 = editor.UniqueName(prefix + "_int32");
            editor.AddNode("MatMulInteger", [xq, wq, xzp, wzp], [y32], name: prefix + "_matmul_integer");
            var yf = editor.UniqueName(prefix + "_float");
            var cast = editor.AddNode("Cast", [y32], [yf], name: prefix + "_cast");
            Tensors.SetInt(cast, "to", (long)TensorProto.Types.DataType.Float);
            var scale = editor.UniqueName(prefix + "_scale");
            editor.AddNode("Mul", [xs, ws], [scale], name: prefix + "_scale");
            var output = node.Output[0];
            if (bias is null)
            {
                editor.AddNode("Mul", [yf, scale], [output], name: prefix + "_dequantize");
            }
            else
            {
                var unbiased = editor.UniqueName(prefix + "_unbiased");
                editor.AddNode("Mul", [yf, scale], [unbiased], name: prefix + "_dequantize");
                editor.AddNode("Add", [unbiased, bias], [output], name: prefix + "_bias");
            }

            editor.RemoveNode(node);
            quantized++;
            values += q.Length;
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
