using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Operators;
using DeepSeek.Engine.Passes.Int8;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// INT4 block-wise weights for MatMul: each constant weight matrix B [K, N] becomes ONNX Runtime's
/// <c>com.microsoft.MatMulNBits</c> (bits 4): per output column, K is cut into blocks of 32, 64 or 128 values, each block
/// with its own scale (and, asymmetric, its own 4-bit zero point), chosen by error (<see cref="BlockRange"/>), or by GPTQ given
/// the inputs' moments. Activations stay float in the graph; the kernel quantizes them per block at run time when the
/// accuracy level is 4 (int8 compute). The weights take an eighth of their float size plus the scales.
/// </summary>
/// <param name="blockSize">Values per block: 16, 32, 64 or 128.</param>
/// <param name="symmetric">Symmetric blocks (zero point 8, no zero-point tensor) rather than min/max blocks.</param>
/// <param name="accuracyLevel">MatMulNBits' <c>accuracy_level</c>: the lowest precision its kernel may compute in. 4 (int8:
/// activations quantized per block at run time) is what makes INT4 fast on CPUs; 0 leaves the choice to the runtime (fp32 on
/// CPU: the weights are dequantized at every call). Profiles set it (<c>int4.accuracyLevel</c>).</param>
/// <param name="inputMoments">Per MatMul input, H = XᵀX from calibration data (<see cref="Runtime.InputCovariance"/>): the
/// MatMuls reading it are quantized with GPTQ (<see cref="Gptq"/>) instead of rounding each block to nearest.</param>
public sealed class Int4BlockPass(int blockSize = 32, bool symmetric = false, int accuracyLevel = 4,
    IReadOnlyDictionary<string, (double[] Hessian, long Rows)>? inputMoments = null) : IGraphPass
{
    /// <summary>Weights with fewer elements stay float.</summary>
    public const int MinElements = 256;

    /// <inheritdoc />
    public string Name => "int4-block";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (blockSize is not (16 or 32 or 64 or 128))
        {
            throw new DeepSeekException(DiagnosticIds.InvalidOption, "--int4-block", $"block size {blockSize} is not 16, 32, 64 or 128", "use 32, 64 or 128");
        }

        var model = context.Model;
        var editor = GraphEditor.For(model);
        long nodes = 0, values = 0, gptq = 0;
        var factors = new Dictionary<string, (float[] Upper, bool[] Dead)>(StringComparer.Ordinal);
        var targets = Targets(editor);
        for (var t = 0; t < targets.Count; t++)
        {
            var (node, weight) = targets[t];
            context.Step(Name, t, targets.Count, weight.Name);
            int k = (int)weight.Dims[0], n = (int)weight.Dims[1];
            var matrix = Tensors.ReadFloats(weight, model);
            byte[] packed;
            float[] scales;
            byte[]? zeroPoints;
            if (inputMoments?.GetValueOrDefault(node.Input[0]) is { Rows: > 0 } moments && moments.Hessian.Length == (long)k * k)
            {
                if (!factors.TryGetValue(node.Input[0], out var factor))
                {
                    factor.Upper = Gptq.InverseFactor(moments.Hessian, k, out factor.Dead);
                    factors[node.Input[0]] = factor;
                }

                (packed, scales, zeroPoints) = Gptq.Quantize(matrix, k, n, factor.Upper, factor.Dead, blockSize, symmetric);
                gptq++;
            }
            else
            {
                (packed, scales, zeroPoints) = Quantize(matrix, k, n, blockSize, symmetric);
            }

            var blocks = (k + blockSize - 1) / blockSize;
            var prefix = node.Input[1];
            var b = editor.AddInitializer(prefix + "_int4", Tensors.UInt8(packed, n, blocks, blockSize / 2));
            var s = editor.AddInitializer(prefix + "_int4_scales", Tensors.Float(scales, (long)n * blocks));
            var inputs = new List<string> { node.Input[0], b, s };
            if (zeroPoints is not null)
            {
                inputs.Add(editor.AddInitializer(prefix + "_int4_zero_points", Tensors.UInt8(zeroPoints, zeroPoints.Length)));
            }

            AddMatMulNBits(editor, inputs, node.Output[0], (string.IsNullOrEmpty(node.Name) ? prefix : node.Name) + "_int4", k, n, blockSize, accuracyLevel);
            editor.RemoveNode(node);
            nodes++;
            values += matrix.Length;
        }

        if (nodes > 0 && !model.Proto.OpsetImport.Any(o => o.Domain == "com.microsoft"))
        {
            model.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        }

        editor.RemoveUnusedInitializers();
        editor.SortTopologically();
        return new PassResult(Name, $"{nodes} MatMul node(s) to MatMulNBits, {values} weights in 4-bit blocks of {blockSize} ({(symmetric ? "symmetric" : "asymmetric")}), {gptq} by GPTQ on calibration data",
            new Dictionary<string, long> { ["nodes"] = nodes, ["weights"] = values, ["blockSize"] = blockSize, ["symmetric"] = symmetric ? 1 : 0, ["gptq"] = gptq });
    }

    /// <summary>Models with at least this many parameters get blocks of 128 by default.</summary>
    public const long LargeModelParameters = 1_000_000_000;

    /// <summary>
    /// The block size when none is asked for: 32 for models under <see cref="LargeModelParameters"/> (narrow layers lose most to
    /// a shared scale), 128 from there (language models: the group size GPTQ, AWQ and ONNX Runtime's own quantizer use; a block's
    /// fp32 scale and zero point then cost 0.28 bits a weight instead of 1.1, which is most of INT4's size past the codes).
    /// </summary>
    public static int DefaultBlockSize(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.Graph.Weights().Where(w => w.DataType is (int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Float16).Sum(w => w.Elements);
        return parameters >= LargeModelParameters ? 128 : 32;
    }

    /// <summary>A 4-bit <c>MatMulNBits</c> node (A, B, scales[, zero points]) → <paramref name="output"/>; accuracy level 0 is left unset (fp32 compute).</summary>
    public static NodeProto AddMatMulNBits(GraphEditor editor, IEnumerable<string> inputs, string output, string name, int k, int n, int blockSize, int accuracyLevel)
    {
        ArgumentNullException.ThrowIfNull(editor);
        var node = editor.AddNode("MatMulNBits", inputs, [output], "com.microsoft", name: name);
        Tensors.SetInt(node, "K", k);
        Tensors.SetInt(node, "N", n);
        Tensors.SetInt(node, "bits", 4);
        Tensors.SetInt(node, "block_size", blockSize);
        if (accuracyLevel != 0)
        {
            Tensors.SetInt(node, "accuracy_level", accuracyLevel);
        }

        return node;
    }

    /// <summary>The MatMuls this pass rewrites, with their constant weight B [K, N] (at least <see cref="MinElements"/> values).</summary>
    public static IReadOnlyList<(NodeProto Node, TensorProto Weight)> Targets(GraphEditor editor)
    {
        ArgumentNullException.ThrowIfNull(editor);
        return editor.Graph.Node.Where(n => OperatorRegistry.Is(n, e => e is { Int4: true, Layout: WeightLayout.Columns }))
            .Select(n => (Node: n, Weight: OperatorRegistry.Weight(n, editor)))
            .Where(t => t.Weight is not null && t.Weight.Dims[0] * t.Weight.Dims[1] >= MinElements)
            .Select(t => (t.Node, t.Weight!)).ToArray();
    }

    /// <summary>
    /// Packs B [K, N] (row-major) as MatMulNBits wants it: for each column n, for each block of K, blockSize/2 bytes with two
    /// 4-bit values each (low nibble first); scales [N × blocks]; zero points (asymmetric) packed two per byte, per column.
    /// Rows past K in the last block are zero (the block's zero point). Each block is rounded to nearest, with its scale and
    /// zero point chosen by error: <see cref="Gptq.Quantize"/> without its factor.
    /// </summary>
    public static (byte[] Packed, float[] Scales, byte[]? ZeroPoints) Quantize(ReadOnlySpan<float> matrix, int k, int n, int blockSize, bool symmetric)
        => Gptq.Quantize(matrix, k, n, upper: null, dead: null, blockSize, symmetric);
}
