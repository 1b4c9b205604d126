using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Operators;

/// <summary>
/// The one table of operator knowledge: static INT8 (which pairs go where), dynamic INT8, INT4, embeddings, the sensitivity
/// ranking and the recipe planner all read it. An operator that is not listed stays float in every recipe. To add one, add
/// an entry here (docs/architecture.md, "Adding an operator").
/// </summary>
public static class OperatorRegistry
{
    private static readonly string[] ShapeKernels = ["runs on int8 between its neighbours' pairs"];

    /// <summary>Every entry, in the order of the docs' table.</summary>
    public static IReadOnlyList<OperatorEntry> Entries { get; } =
    [
        // Compute with weights.
        new("Conv")
        {
            WeightInput = 1, Layout = WeightLayout.OutputChannelsFirst, Static = true, ActivationInputs = [0], AbsorbsActivation = true,
            RankedLayer = true, Convolution = true, RuntimeKernels = ["QLinearConv"],
        },
        new("MatMul")
        {
            WeightInput = 1, Layout = WeightLayout.Columns, Static = true, ActivationInputs = [0, 1], AbsorbsActivation = true,
            Dynamic = true, Int4 = true, RankedLayer = true,
            RuntimeKernels = ["QLinearMatMul", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "MatMulNBits"],
        },
        new("Gemm")
        {
            WeightInput = 1, Layout = WeightLayout.GemmB, Dynamic = true,
            RuntimeKernels = ["DynamicQuantizeMatMul (static INT8 and INT4 rewrite Gemm as MatMul + Add first)"],
        },
        new("Gather")
        {
            WeightInput = 0, Layout = WeightLayout.Rows, Static = true, ActivationInputs = [], SharesInputParameters = true,
            Int4 = true, RuntimeKernels = ["GatherBlockQuantized (constant table, 8 or 4 bits per block of a row)", "Gather on int8"],
        },

        // Element-wise: int8 inside convolutional blocks only.
        new("Add") { Static = true, AbsorbsActivation = true, OnlyAfterConvolution = true, RuntimeKernels = ["QLinearAdd"] },
        new("Mul") { Static = true, OnlyAfterConvolution = true, RuntimeKernels = ["QLinearMul"] },
        new("Concat") { Static = true, OnlyAfterConvolution = true, RuntimeKernels = ["QLinearConcat"] },

        // Pooling and activations.
        new("MaxPool") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ["MaxPool on int8"] },
        new("AveragePool") { Static = true, RuntimeKernels = ["QLinearAveragePool"] },
        new("GlobalAveragePool") { Static = true, RuntimeKernels = ["QLinearGlobalAveragePool"] },
        new("Relu") { Static = true, FusesIntoProducer = true, RuntimeKernels = ["fused into QLinearConv/QLinearMatMul/QLinearAdd"] },
        new("Clip") { Static = true, FusesIntoProducer = true, ActivationInputs = [0], RuntimeKernels = ["fused into QLinearConv/QLinearMatMul/QLinearAdd"] },
        new("Sigmoid") { Static = true, RuntimeKernels = ["QLinearSigmoid"] },
        new("LeakyRelu") { Static = true, RuntimeKernels = ["QLinearLeakyRelu"] },

        // Data movement: the output keeps the input's parameters.
        new("Reshape") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ShapeKernels },
        new("Flatten") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ShapeKernels },
        new("Transpose") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ShapeKernels },
        new("Squeeze") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ShapeKernels },
        new("Unsqueeze") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ShapeKernels },
        new("Split") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ShapeKernels },
        new("Resize") { Static = true, ActivationInputs = [], SharesInputParameters = true, RuntimeKernels = ["Resize on int8"] },

        // Float in every recipe: measured to lose fidelity in uint8, or no faster there.
        new("Softmax") { StaysFloatBecause = "its input spans a wide range whose small differences decide the output; its output feeds a quantized MatMul" },
        new("LayerNormalization") { StaysFloatBecause = "normalization divides by a variance that uint8 cannot carry (the residual stream's outliers)" },
        new("ReduceMean") { StaysFloatBecause = "part of a decomposed LayerNormalization" },
        new("Pow") { StaysFloatBecause = "part of a decomposed LayerNormalization" },
        new("Sqrt") { StaysFloatBecause = "part of a decomposed LayerNormalization" },
        new("Sub") { StaysFloatBecause = "part of a decomposed LayerNormalization" },
        new("Div") { StaysFloatBecause = "part of a decomposed LayerNormalization or attention scaling" },
        new("Erf") { StaysFloatBecause = "GELU: ONNX Runtime has no int8 kernel; its input needs full range" },
        new("Gelu") { Domain = "com.microsoft", StaysFloatBecause = "no int8 kernel" },
        new("Tanh") { StaysFloatBecause = "no int8 kernel on CPU" },
    ];

    private static readonly Dictionary<(string Domain, string OpType), OperatorEntry> ByType =
        Entries.ToDictionary(e => (e.Domain, e.OpType));

    /// <summary>The entry for <paramref name="node"/>, or null when the operator is not listed (it stays float).</summary>
    public static OperatorEntry? Find(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var domain = node.Domain is "ai.onnx" ? "" : node.Domain;
        return ByType.GetValueOrDefault((domain, node.OpType));
    }

    /// <summary>The entry for a default-domain operator type, or null.</summary>
    public static OperatorEntry? Find(string opType) => ByType.GetValueOrDefault(("", opType));

    /// <summary>Whether <paramref name="node"/> satisfies <paramref name="test"/> (false when it is not listed).</summary>
    public static bool Is(NodeProto node, Func<OperatorEntry, bool> test)
    {
        ArgumentNullException.ThrowIfNull(test);
        return Find(node) is { } entry && test(entry);
    }

    /// <summary>The constant float weight of <paramref name="node"/> by its entry (MatMul's B must be 2-D), or null.</summary>
    public static TensorProto? Weight(NodeProto node, GraphEditor editor)
    {
        ArgumentNullException.ThrowIfNull(editor);
        if (Find(node) is not { WeightInput: { } index } entry || node.Input.Count <= index)
        {
            return null;
        }

        var tensor = editor.ConstantTensor(node.Input[index]);
        if (tensor is null || tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            return null;
        }

        return entry.Layout is WeightLayout.Columns or WeightLayout.GemmB or WeightLayout.Rows && tensor.Dims.Count != 2 ? null : tensor;
    }

    /// <summary>The axis of the weight's per-channel scales (Conv 0, MatMul 1, table rows 0).</summary>
    public static int ChannelAxis(WeightLayout layout) => layout switch
    {
        WeightLayout.OutputChannelsFirst or WeightLayout.Rows => 0,
        WeightLayout.Columns or WeightLayout.GemmB => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "the operator has no weight"),
    };

    /// <summary>Whether the graph has a convolution (the planner's "convolutional network").</summary>
    public static bool HasConvolution(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node.Any(n => Is(n, e => e.Convolution));
    }
}
