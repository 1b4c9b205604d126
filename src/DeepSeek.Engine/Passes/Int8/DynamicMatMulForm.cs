using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes.Int8;

/// <summary>
/// Writes the dynamic INT8 MatMul as ONNX Runtime fuses it into DynamicQuantizeMatMul:
/// <c>DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q) → Cast → Mul(x_scale · w_scale) [→ Add(bias)]</c>, with one
/// DynamicQuantizeLinear per activation, shared by every MatMul that reads it (attention's Q, K and V projections).
/// </summary>
internal sealed class DynamicMatMulForm(GraphEditor editor)
{
    private readonly Dictionary<string, (string Values, string Scale, string ZeroPoint)> quantized = new(StringComparer.Ordinal);

    /// <summary>Adds the nodes that compute <paramref name="output"/> = <paramref name="x"/> · W (+ bias) from int8 W.</summary>
    public void Add(string prefix, string x, string weight, string weightZeroPoint, string weightScale, string output, string? bias = null)
    {
        if (!quantized.TryGetValue(x, out var q))
        {
            q = (editor.UniqueName(prefix + "_x_quantized"), editor.UniqueName(prefix + "_x_scale"), editor.UniqueName(prefix + "_x_zero_point"));
            editor.AddNode("DynamicQuantizeLinear", [x], [q.Values, q.Scale, q.ZeroPoint], name: prefix + "_quantize");
            quantized[x] = q;
        }

        var y32 = editor.UniqueName(prefix + "_int32");
        editor.AddNode("MatMulInteger", [q.Values, weight, q.ZeroPoint, weightZeroPoint], [y32], name: prefix + "_matmul_integer");
        var yf = editor.UniqueName(prefix + "_float");
        var cast = editor.AddNode("Cast", [y32], [yf], name: prefix + "_cast");
        Tensors.SetInt(cast, "to", (long)TensorProto.Types.DataType.Float);
        var scale = editor.UniqueName(prefix + "_scale");
        editor.AddNode("Mul", [q.Scale, weightScale], [scale], name: prefix + "_scale");
        if (bias is null)
        {
            editor.AddNode("Mul", [yf, scale], [output], name: prefix + "_dequantize");
            return;
        }

        var unbiased = editor.UniqueName(prefix + "_unbiased");
        editor.AddNode("Mul", [yf, scale], [unbiased], name: prefix + "_dequantize");
        editor.AddNode("Add", [unbiased, bias], [output], name: prefix + "_bias");
    }
}
