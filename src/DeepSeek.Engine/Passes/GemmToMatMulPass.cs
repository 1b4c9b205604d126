using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// Rewrites <c>Gemm</c> with a constant B (and no transposed A) as <c>MatMul</c> (+ <c>Add</c> for C): transB, alpha and beta
/// are folded into the constants. Static INT8 then quantizes it like any MatMul (per output channel) and ONNX Runtime fuses
/// the pair into its quantized kernels; exported fully connected layers (PyTorch <c>Linear</c>) are Gemm.
/// </summary>
public sealed class GemmToMatMulPass : IGraphPass
{
    /// <inheritdoc />
    public string Name => "gemm-to-matmul";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        var editor = GraphEditor.For(model);
        var rewritten = 0;
        foreach (var node in editor.Graph.Node.Where(n => n.OpType == "Gemm" && n.Domain is "" or "ai.onnx").ToArray())
        {
            var b = editor.ConstantTensor(node.Input[1]);
            if (Tensors.IntAttribute(node, "transA", 0) != 0 || b is null || b.DataType != (int)TensorProto.Types.DataType.Float || b.Dims.Count != 2)
            {
                continue;
            }

            TensorProto? c = null;
            if (node.Input.Count > 2 && node.Input[2].Length > 0)
            {
                c = editor.ConstantTensor(node.Input[2]);
                if (c is null || c.DataType != (int)TensorProto.Types.DataType.Float)
                {
                    continue;
                }
            }

            var alpha = Tensors.FloatAttribute(node, "alpha", 1f);
            var beta = Tensors.FloatAttribute(node, "beta", 1f);
            int rows = (int)b.Dims[0], columns = (int)b.Dims[1];
            var matrix = Tensors.ReadFloats(b, model);
            var transposed = Tensors.IntAttribute(node, "transB", 0) != 0;
            var k = transposed ? columns : rows;
            var n = transposed ? rows : columns;
            var weights = new float[matrix.Length];
            for (var r = 0; r < k; r++)
            {
                for (var col = 0; col < n; col++)
                {
                    weights[(r * n) + col] = alpha * (transposed ? matrix[(col * columns) + r] : matrix[(r * n) + col]);
                }
            }

            var prefix = string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name;
            var w = editor.AddInitializer(node.Input[1] + "_matmul", Tensors.Float(weights, k, n));
            var output = node.Output[0];
            if (c is null)
            {
                editor.AddNode("MatMul", [node.Input[0], w], [output], name: prefix + "_matmul");
            }
            else
            {
                var bias = Tensors.ReadFloats(c, model).Select(v => v * beta).ToArray();
                var biasName = editor.AddInitializer(node.Input[2] + "_add", Tensors.Float(bias, [.. c.Dims]));
                var product = editor.UniqueName(prefix + "_product");
                editor.AddNode("MatMul", [node.Input[0], w], [product], name: prefix + "_matmul");
                editor.AddNode("Add", [product, biasName], [output], name: prefix + "_bias");
            }

            editor.RemoveNode(node);
            rewritten++;
        }

        editor.RemoveUnusedInitializers();
        editor.SortTopologically();
        return new PassResult(Name, $"{rewritten} Gemm node(s) rewritten as MatMul + Add", new Dictionary<string, long> { ["rewritten"] = rewritten });
    }
}
