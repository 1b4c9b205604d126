namespace DeepSeek.Engine.Operators;

/// <summary>How an operator's constant weight is laid out, which fixes the axis its per-channel scales run along.</summary>
public enum WeightLayout
{
    /// <summary>The operator has no weight input.</summary>
    None,

    /// <summary>Conv: <c>[M, C/group, k...]</c>; one scale per output channel (axis 0).</summary>
    OutputChannelsFirst,

    /// <summary>MatMul's B: <c>[K, N]</c>; one scale per output column (axis 1).</summary>
    Columns,

    /// <summary>Gemm's B: <c>[K, N]</c>, or <c>[N, K]</c> with <c>transB=1</c>; alpha and beta are folded in.</summary>
    GemmB,

    /// <summary>An embedding table read by Gather: <c>[rows, width]</c>; one scale per row (or per block of a row).</summary>
    Rows,
}

/// <summary>
/// What the engine knows about one operator kind: which input is a weight and how it is laid out, which activations static
/// INT8 quantizes around it, whether its output shares its input's quantization parameters, which recipes rewrite it and
/// into which ONNX Runtime kernels. Every pass asks <see cref="OperatorRegistry"/>; adding an operator is adding an entry.
/// </summary>
/// <param name="OpType">The ONNX operator type (default domain unless <see cref="Domain"/> says otherwise).</param>
public sealed record OperatorEntry(string OpType)
{
    /// <summary>The operator's domain: <c>""</c> for ONNX, <c>com.microsoft</c> for ONNX Runtime's contrib operators.</summary>
    public string Domain { get; init; } = "";

    /// <summary>The input that holds the weight when it is a constant (null: none).</summary>
    public int? WeightInput { get; init; }

    /// <summary>How the weight is laid out.</summary>
    public WeightLayout Layout { get; init; }

    /// <summary>Static INT8 puts QuantizeLinear/DequantizeLinear pairs around this operator.</summary>
    public bool Static { get; init; }

    /// <summary>The inputs static INT8 quantizes when they are float activations (constants never); null: every input.</summary>
    public IReadOnlyList<int>? ActivationInputs { get; init; }

    /// <summary>The output reuses its first input's scale and zero point when the input is quantized (no rescaling: max
    /// pooling, reshapes), so ONNX Runtime drops the pair and runs the operator on int8. Such an operator asks for no pair on
    /// its input (<see cref="ActivationInputs"/> is empty): quantizing an attention mask's Flatten input ruined a transformer.</summary>
    public bool SharesInputParameters { get; init; }

    /// <summary>An activation ONNX Runtime fuses into the quantized operator before it (Relu, Clip): its input keeps no pair.</summary>
    public bool FusesIntoProducer { get; init; }

    /// <summary>The operator can absorb a following <see cref="FusesIntoProducer"/> activation.</summary>
    public bool AbsorbsActivation { get; init; }

    /// <summary>
    /// Element-wise (Add, Mul, Concat...): runs in int8 (QLinearAdd...) only inside a convolutional block, where its inputs
    /// are the int8 outputs of convolutions. Elsewhere (the residual stream and normalization of attention models) it stays
    /// float: measured, a transformer's pooled cosine fell to 0.79 when these were quantized to uint8.
    /// </summary>
    public bool OnlyAfterConvolution { get; init; }

    /// <summary>Dynamic INT8 rewrites it (<c>DynamicQuantizeLinear → MatMulInteger</c>).</summary>
    public bool Dynamic { get; init; }

    /// <summary>INT4 rewrites its weight in 4-bit blocks (MatMulNBits, GatherBlockQuantized).</summary>
    public bool Int4 { get; init; }

    /// <summary>Counted as a compute layer by the mixed-precision search (its weights are ranked by sensitivity).</summary>
    public bool RankedLayer { get; init; }

    /// <summary>The planner's family: a model with one of these is a convolutional network.</summary>
    public bool Convolution { get; init; }

    /// <summary>Why the operator stays float in every recipe (null: it is quantized in some recipe).</summary>
    public string? StaysFloatBecause { get; init; }

    /// <summary>The ONNX Runtime kernels the quantized forms become (for docs and reports).</summary>
    public IReadOnlyList<string> RuntimeKernels { get; init; } = [];

    /// <summary>Whether the entry is for a node of this domain.</summary>
    internal bool InDomain(string domain) => Domain.Length == 0 ? domain is "" or "ai.onnx" : domain == Domain;
}
