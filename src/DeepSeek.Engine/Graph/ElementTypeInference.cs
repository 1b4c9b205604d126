using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Graph;

/// <summary>
/// The element type of every value of a graph, as far as it can be told without shapes: declared types, initializers,
/// then per node (most ops keep their first input's type). Values whose type cannot be told are absent.
/// </summary>
public static class ElementTypeInference
{
    /// <summary>Value name → <c>TensorProto.DataType</c>.</summary>
    public static Dictionary<string, int> Infer(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var value in graph.Input.Concat(graph.ValueInfo).Concat(graph.Output))
        {
            if (value.Type?.TensorType is { ElemType: > 0 } tensor)
            {
                types[value.Name] = tensor.ElemType;
            }
        }

        foreach (var tensor in graph.Initializer)
        {
            types[tensor.Name] = tensor.DataType;
        }

        foreach (var node in graph.Node)
        {
            var type = OutputType(node, types);
            for (var i = 0; i < node.Output.Count; i++)
            {
                var t = i == 0 ? type : SecondaryOutputType(node, i, types);
                if (t is { } known && node.Output[i].Length > 0)
                {
                    types.TryAdd(node.Output[i], known);
                }
            }
        }

        return types;
    }

    private static int? OutputType(NodeProto node, Dictionary<string, int> types)
    {
        const int Float = (int)TensorProto.Types.DataType.Float, Int64 = (int)TensorProto.Types.DataType.Int64, Bool = (int)TensorProto.Types.DataType.Bool;
        int? First() => node.Input.Count > 0 && types.TryGetValue(node.Input[0], out var t) ? t : null;
        if (node.Domain is not ("" or "ai.onnx"))
        {
            return node.OpType switch
            {
                "Gelu" or "FastGelu" or "BiasGelu" or "QuickGelu" or "SkipLayerNormalization" or "FusedMatMul" or "MatMulNBits" => First(),
                "GatherBlockQuantized" => node.Input.Count > 2 && types.TryGetValue(node.Input[2], out var scales) ? scales : null, // the scales' type
                _ => null,
            };
        }

        return node.OpType switch
        {
            "Constant" => Tensors.Attribute(node, "value")?.T?.DataType ?? (Tensors.Attribute(node, "value_float") is not null || Tensors.Attribute(node, "value_floats") is not null ? Float : Tensors.Attribute(node, "value_int") is not null || Tensors.Attribute(node, "value_ints") is not null ? Int64 : null),
            "Cast" => (int)Tensors.IntAttribute(node, "to", 0),
            "CastLike" => node.Input.Count > 1 && types.TryGetValue(node.Input[1], out var like) ? like : null,
            "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin" => Int64,
            "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "And" or "Or" or "Xor" or "Not" or "IsNaN" or "IsInf" => Bool,
            "ConstantOfShape" => Tensors.Attribute(node, "value")?.T?.DataType ?? Float,
            "QuantizeLinear" => node.Input.Count > 2 && types.TryGetValue(node.Input[2], out var zp) ? zp : (int)TensorProto.Types.DataType.Uint8,
            "DequantizeLinear" => node.Input.Count > 1 && types.TryGetValue(node.Input[1], out var scale) ? scale : Float,
            "DynamicQuantizeLinear" => (int)TensorProto.Types.DataType.Uint8,
            "MatMulInteger" or "ConvInteger" => (int)TensorProto.Types.DataType.Int32,
            "Where" => node.Input.Count > 1 && types.TryGetValue(node.Input[1], out var x) ? x : null,
            "RandomNormal" or "RandomUniform" or "EyeLike" or "RandomNormalLike" or "RandomUniformLike" or "Multinomial" or "Range" or "OneHot" or "If" or "Loop" or "Scan" or "TopK" or "Unique" => node.OpType is "TopK" ? First() : null,
            _ => First(),
        };
    }

    private static int? SecondaryOutputType(NodeProto node, int index, Dictionary<string, int> types) => node.OpType switch
    {
        "TopK" or "MaxPool" when index == 1 => (int)TensorProto.Types.DataType.Int64,
        "DynamicQuantizeLinear" => index == 1 ? (int)TensorProto.Types.DataType.Float : (int)TensorProto.Types.DataType.Uint8,
        "Split" => node.Input.Count > 0 && types.TryGetValue(node.Input[0], out var t) ? t : null,
        "BatchNormalization" or "Dropout" or "LayerNormalization" => null,
        _ => null,
    };
}
