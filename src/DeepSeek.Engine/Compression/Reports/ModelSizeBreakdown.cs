using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>What a stored tensor is to the operator that reads it.</summary>
public enum TensorGroup
{
    /// <summary>Weights: Conv, Gemm, MatMul and quantized matrix operands, embedding tables, recurrent weights.</summary>
    Weights,

    /// <summary>Biases: Conv and Gemm biases, the bias inputs of quantized operators, an Add's 1-D constant operand.</summary>
    Biases,

    /// <summary>Quantization scales and zero points (QuantizeLinear, DequantizeLinear, MatMulNBits, MatMulInteger...).</summary>
    Quantization,

    /// <summary>Everything else: normalization parameters, shapes, other constants.</summary>
    Other,
}

/// <summary>
/// A model's stored tensors (initializers, external data, <c>Constant</c> nodes, sparse values, in subgraphs too) summed by
/// the operator that uses each and by <see cref="TensorGroup"/>. A tensor read through DequantizeLinear, QuantizeLinear,
/// Cast, Transpose, Reshape and the like counts for the operator those lead to, so a Conv's int8 weights still count for Conv.
/// </summary>
/// <param name="ByOperator">Bytes by operator type (<see cref="Unused"/> for a tensor no node reads).</param>
/// <param name="ByGroup">Bytes by group (every group present, zero when empty).</param>
/// <param name="Tensors">The tensors counted.</param>
public sealed record ModelSizeBreakdown(IReadOnlyDictionary<string, long> ByOperator, IReadOnlyDictionary<TensorGroup, long> ByGroup, int Tensors)
{
    /// <summary>The operator name for tensors no node reads (graph outputs, leftovers).</summary>
    public const string Unused = "(no operator)";

    /// <summary>How many hops through DequantizeLinear, Cast, Transpose... are followed to find a tensor's operator.</summary>
    private const int MaxHops = 8;

    /// <summary>Operators whose first input passes on to their output unchanged in meaning (a tensor read through them counts
    /// for the operator they lead to).</summary>
    private static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal)
    {
        "DequantizeLinear", "QuantizeLinear", "Cast", "Transpose", "Reshape", "Identity", "Unsqueeze", "Squeeze", "Flatten",
    };

    /// <summary>Bytes of every stored tensor, all groups together.</summary>
    public long Total => ByGroup.Values.Sum();

    /// <summary>Measures <paramref name="model"/>'s tensors.</summary>
    public static ModelSizeBreakdown Measure(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var consumers = new Dictionary<string, List<(NodeProto Node, int Index)>>(StringComparer.Ordinal);
        foreach (var graph in model.Graph.SelfAndDescendants())
        {
            foreach (var node in graph.Proto.Node)
            {
                for (var i = 0; i < node.Input.Count; i++)
                {
                    if (node.Input[i].Length == 0)
                    {
                        continue;
                    }

                    if (!consumers.TryGetValue(node.Input[i], out var list))
                    {
                        consumers[node.Input[i]] = list = [];
                    }

                    list.Add((node, i));
                }
            }
        }

        var byOperator = new Dictionary<string, long>(StringComparer.Ordinal);
        var byGroup = Enum.GetValues<TensorGroup>().ToDictionary(g => g, _ => 0L);
        var count = 0;
        foreach (var weight in model.Graph.Weights())
        {
            var (op, group) = Classify(weight, consumers);
            byOperator[op] = byOperator.GetValueOrDefault(op) + weight.Bytes;
            byGroup[group] += weight.Bytes;
            count++;
        }

        return new ModelSizeBreakdown(byOperator, byGroup, count);
    }

    /// <summary>The operator a tensor counts for, and its group.</summary>
    private static (string Operator, TensorGroup Group) Classify(WeightTensor weight, Dictionary<string, List<(NodeProto Node, int Index)>> consumers)
    {
        if (!consumers.TryGetValue(weight.Name, out var readers) || readers.Count == 0)
        {
            return (Unused, TensorGroup.Other);
        }

        var (node, index) = readers[0];
        var quantization = IsQuantizationInput(node.OpType, index);
        for (var hop = 0; hop < MaxHops && PassThrough.Contains(node.OpType) && (index == 0 || node.OpType is "DequantizeLinear" or "QuantizeLinear"); hop++)
        {
            if (node.Output.Count == 0 || !consumers.TryGetValue(node.Output[0], out var next) || next.Count == 0)
            {
                break;
            }

            (node, index) = next[0];
            quantization |= IsQuantizationInput(node.OpType, index);
        }

        return (node.OpType, quantization ? TensorGroup.Quantization : Role(node.OpType, index, weight.Dims.Count));
    }

    /// <summary>Whether input <paramref name="index"/> of <paramref name="op"/> is a scale or a zero point.</summary>
    private static bool IsQuantizationInput(string op, int index) => op switch
    {
        "QuantizeLinear" or "DequantizeLinear" or "DynamicQuantizeLinear" => index >= 1,
        "MatMulNBits" or "MatMulInteger" or "ConvInteger" or "DynamicQuantizeMatMul" => index is 2 or 3,
        "MatMulIntegerToFloat" => index is >= 2 and <= 5,
        "QLinearConv" or "QLinearMatMul" => index is 1 or 2 or 4 or 5 or 6 or 7,
        _ => false,
    };

    /// <summary>A tensor's group by the input of the operator it reaches.</summary>
    private static TensorGroup Role(string op, int index, int rank) => (op, index) switch
    {
        ("Conv" or "ConvTranspose" or "ConvInteger", 1) => TensorGroup.Weights,
        ("Conv" or "ConvTranspose" or "Gemm", 2) => TensorGroup.Biases,
        ("Gemm" or "MatMul" or "MatMulInteger" or "MatMulIntegerToFloat" or "QLinearMatMul", 0) => TensorGroup.Weights,
        ("Gemm" or "MatMul" or "MatMulInteger" or "MatMulIntegerToFloat" or "MatMulNBits" or "DynamicQuantizeMatMul", 1) => TensorGroup.Weights,
        ("QLinearConv" or "QLinearMatMul", 3) => TensorGroup.Weights,
        ("Gather", 0) => TensorGroup.Weights,
        ("LSTM" or "GRU" or "RNN", 1 or 2) => TensorGroup.Weights,
        ("LSTM" or "GRU" or "RNN", 3) => TensorGroup.Biases,
        ("DynamicQuantizeMatMul", 4) or ("MatMulNBits", 5) or ("MatMulIntegerToFloat", 6) or ("QLinearConv", 8) => TensorGroup.Biases,
        ("Add", _) when rank == 1 => TensorGroup.Biases,
        _ => TensorGroup.Other,
    };

    /// <summary>How a group reads in reports.</summary>
    public static string Name(TensorGroup group) => group switch
    {
        TensorGroup.Weights => "weights",
        TensorGroup.Biases => "biases",
        TensorGroup.Quantization => "quantization scales and zero points",
        _ => "other",
    };
}
