using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.Passes.PassHarness;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>
/// Characterization of <see cref="DynamicInt8Pass"/>: what it emits today on small MatMul/Gemm graphs, before the operator
/// registry rewrites it.
/// </summary>
public sealed class DynamicInt8PassTests
{
    private static readonly string[] QuantizedMatMul = ["DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul"];

    /// <summary>
    /// Bound on max |int8 − fp32| / max |fp32| in ONNX Runtime for K = 16, x and w uniform in [-1, 1]. Measured on an
    /// AVX-512 VNNI host: 0.0053 (7-bit MatMul), 0.0066 (8-bit MatMul), 0.0065 (two MatMuls, 7-bit), 0.0050 (Gemm, 7-bit).
    /// </summary>
    private const double Tolerance = 0.012;

    [Theory]
    [InlineData("x64-avx2", 7, 63)]
    [InlineData("x64-avx512vnni", 8, 127)]
    public void MatMul_with_a_constant_weight_becomes_DynamicQuantizeLinear_MatMulInteger_Cast_Mul_Mul(string profileName, int bits, int level)
    {
        const int k = 16, n = 8;
        var w = ModelBuilder.Random(k * n, 11);
        using var temp = new TempDirectory();
        var (source, working) = Load(new ModelBuilder(8, 13).Input("x", "batch", k).Initializer("w", w, k, n).Node("MatMul", ["x", "w"], ["y"]).Output("y", "batch", n), temp);

        var result = new DynamicInt8Pass(ProfileCatalog.BuiltIn.Get(profileName)).Run(new PassContext(working));

        Assert.Equal(1, result.Counters["nodes"]);
        Assert.Equal(0, result.Counters["gemm"]);
        Assert.Equal(k * n, result.Counters["weights"]);
        Assert.Equal(bits, result.Counters["weightBits"]);
        Assert.Equal($"1 MatMul/Gemm node(s) quantized (0 Gemm), 128 weights in {bits}-bit int8, activations quantized at run time", result.Summary);
        Assert.Equal(QuantizedMatMul, OpTypes(working));
        var nodes = working.Proto.Graph.Node;
        var (quantize, matMul, cast, scale, dequantize) = (nodes[0], nodes[1], nodes[2], nodes[3], nodes[4]);
        Assert.Equal(["x"], quantize.Input);
        Assert.Equal(3, quantize.Output.Count);
        Assert.Equal([quantize.Output[0], "w_quantized", quantize.Output[2], "w_zero_point"], matMul.Input);
        Assert.Equal([matMul.Output[0]], cast.Input);
        Assert.Equal((long)TensorProto.Types.DataType.Float, Assert.Single(cast.Attribute, a => a.Name == "to").I);
        Assert.Equal([quantize.Output[1], "w_scale"], scale.Input);
        Assert.Equal([cast.Output[0], scale.Output[0]], dequantize.Input);
        Assert.Equal(["y"], dequantize.Output);

        // The fp32 weight is gone; int8 values [K, N], an int8 zero point of zeros and a float scale per output column.
        Assert.Equal(["w_quantized", "w_zero_point", "w_scale"], working.Proto.Graph.Initializer.Select(t => t.Name));
        var q = Initializer(working, "w_quantized");
        Assert.Equal((int)TensorProto.Types.DataType.Int8, q.DataType);
        Assert.Equal(new long[] { k, n }, q.Dims);
        var zeroPoint = Initializer(working, "w_zero_point");
        Assert.Equal((int)TensorProto.Types.DataType.Int8, zeroPoint.DataType);
        Assert.Equal(new long[] { n }, zeroPoint.Dims);
        Assert.All(Int8s(zeroPoint), z => Assert.Equal(0, z));
        var scales = Initializer(working, "w_scale");
        Assert.Equal((int)TensorProto.Types.DataType.Float, scales.DataType);
        Assert.Equal(new long[] { n }, scales.Dims);
        var values = Int8s(q);
        var s = Floats(scales);
        Assert.Equal(n, s.Length);
        for (var c = 0; c < n; c++)
        {
            // Per column, symmetric, the column's largest magnitude maps to the profile's top level (no clipping search).
            var max = Enumerable.Range(0, k).Max(r => MathF.Abs(w[(r * n) + c]));
            Assert.Equal(max / level, s[c]);
            Assert.Equal(level, Enumerable.Range(0, k).Max(r => Math.Abs((int)values[(r * n) + c])));
        }

        if (bits == 8 && HostCpu.Current.ProfileName == "x64-avx2")
        {
            return; // full-range weights saturate ONNX Runtime's u8s8 kernels on AVX2 without VNNI: that is what the 7-bit profile is for
        }

        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(4 * k, 12), [4, k]);
        Assert.True(MaxRelativeError(expected, actual) < Tolerance, $"max relative error {MaxRelativeError(expected, actual)}");
    }

    [Fact]
    public void Gemm_with_transB_alpha_beta_and_bias_is_quantized_with_the_transposed_scaled_weight_and_a_bias_Add()
    {
        const int k = 16, n = 8;
        const float alpha = 0.5f, beta = 2f;
        var b = ModelBuilder.Random(n * k, 21); // [N, K]: transB = 1
        var c = ModelBuilder.Random(n, 22);
        using var temp = new TempDirectory();
        var (source, working) = Load(new ModelBuilder(8, 13).Input("x", "batch", k).Initializer("b", b, n, k).Initializer("c", c, n)
            .Node("Gemm", ["x", "b", "c"], ["y"], "", Int("transB", 1), Float("alpha", alpha), Float("beta", beta))
            .Output("y", "batch", n), temp);

        var result = new DynamicInt8Pass(ProfileCatalog.BuiltIn.Get("x64-avx2")).Run(new PassContext(working));

        Assert.Equal(1, result.Counters["nodes"]);
        Assert.Equal(1, result.Counters["gemm"]);
        Assert.Equal(k * n, result.Counters["weights"]);
        Assert.Equal([.. QuantizedMatMul, "Add"], OpTypes(working));
        var add = working.Proto.Graph.Node[5];
        Assert.Equal(working.Proto.Graph.Node[4].Output[0], add.Input[0]);
        Assert.Equal("c_scaled", add.Input[1]);
        Assert.Equal(["y"], add.Output);

        // beta is folded into a new bias initializer; the original bias and weight are dropped.
        Assert.Equal(c.Select(v => v * beta), Floats(Initializer(working, "c_scaled")));
        Assert.DoesNotContain(working.Proto.Graph.Initializer, t => t.Name is "b" or "c");

        // The weight is stored transposed to [K, N], alpha folded into it before the per-column scales are taken.
        var q = Initializer(working, "b_quantized");
        Assert.Equal(new long[] { k, n }, q.Dims);
        var s = Floats(Initializer(working, "b_scale"));
        Assert.Equal(n, s.Length);
        var values = Int8s(q);
        for (var column = 0; column < n; column++)
        {
            var max = Enumerable.Range(0, k).Max(r => MathF.Abs(b[(column * k) + r] * alpha));
            Assert.Equal(max / 63, s[column]); // 7 bits
            for (var r = 0; r < k; r++)
            {
                Assert.Equal(MathF.Round(b[(column * k) + r] * alpha / s[column], MidpointRounding.ToEven), values[(r * n) + column]);
            }
        }

        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(4 * k, 23), [4, k]);
        Assert.True(MaxRelativeError(expected, actual) < Tolerance, $"max relative error {MaxRelativeError(expected, actual)}");
    }

    [Fact]
    public void Small_weights_activation_weights_transA_and_a_computed_beta_scaled_bias_stay_float()
    {
        using var temp = new TempDirectory();
        var builder = new ModelBuilder(8, 13)
            .Input("a", "batch", 4).Input("z", 4, 16).Input("e", 16, "batch").Input("d", 8)
            .Initializer("small", ModelBuilder.Random(4 * 15, 31), 4, 15)   // 60 < MinElements
            .Initializer("edge", ModelBuilder.Random(4 * 16, 32), 4, 16)    // exactly MinElements: quantized
            .Initializer("wt", ModelBuilder.Random(16 * 8, 33), 16, 8)
            .Node("MatMul", ["a", "small"], ["y_small"])
            .Node("MatMul", ["a", "z"], ["y_activation"])
            .Node("Gemm", ["e", "wt"], ["y_transA"], "", Int("transA", 1))
            .Node("Gemm", ["a", "edge", "d"], ["y_bias"], "", Float("beta", 0.5f))
            .Output("y_small", "batch", 15).Output("y_activation", "batch", 16).Output("y_transA", "batch", 8).Output("y_bias", "batch", 16);
        var (_, working) = Load(builder, temp);
        var before = working.Proto.Clone();

        var result = new DynamicInt8Pass(ProfileCatalog.BuiltIn.Get("x64-avx2")).Run(new PassContext(working));

        Assert.Equal(0, result.Counters["nodes"]);
        Assert.Equal(0, result.Counters["gemm"]);
        Assert.Equal(0, result.Counters["weights"]);
        Assert.Equal(before, working.Proto);
    }

    [Fact]
    public void A_weight_of_exactly_MinElements_is_quantized()
    {
        using var temp = new TempDirectory();
        var (_, working) = Load(new ModelBuilder(8, 13).Input("x", "batch", 4).Initializer("w", ModelBuilder.Random(DynamicInt8Pass.MinElements, 41), 4, 16)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", "batch", 16), temp);

        var result = new DynamicInt8Pass(ProfileCatalog.BuiltIn.Get("x64-avx2")).Run(new PassContext(working));

        Assert.Equal(64, DynamicInt8Pass.MinElements);
        Assert.Equal(1, result.Counters["nodes"]);
        Assert.Equal(QuantizedMatMul, OpTypes(working));
    }

    /// <summary>
    /// Two MatMuls reading the same tensor (attention's Q, K and V projections) share one DynamicQuantizeLinear: before, each
    /// quantized it again at run time.
    /// </summary>
    [Fact]
    public void Two_MatMuls_reading_the_same_activation_share_one_DynamicQuantizeLinear()
    {
        const int k = 16, n = 8;
        using var temp = new TempDirectory();
        var (source, working) = Load(new ModelBuilder(8, 13).Input("x", "batch", k)
            .Initializer("w1", ModelBuilder.Random(k * n, 51), k, n).Initializer("w2", ModelBuilder.Random(k * n, 52), k, n)
            .Node("MatMul", ["x", "w1"], ["y"]).Node("MatMul", ["x", "w2"], ["y2"])
            .Output("y", "batch", n).Output("y2", "batch", n), temp);

        var result = new DynamicInt8Pass(ProfileCatalog.BuiltIn.Get("x64-avx2")).Run(new PassContext(working));

        Assert.Equal(2, result.Counters["nodes"]);
        var quantizer = Assert.Single(working.Proto.Graph.Node, n => n.OpType == "DynamicQuantizeLinear");
        Assert.Equal(["x"], quantizer.Input);
        var readers = working.Proto.Graph.Node.Where(n => n.OpType == "MatMulInteger").ToArray();
        Assert.Equal(2, readers.Length);
        Assert.All(readers, r => Assert.Equal(quantizer.Output[0], r.Input[0]));
        Assert.Equal(9, working.Proto.Graph.Node.Count);

        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(4 * k, 53), [4, k], "y2");
        Assert.True(MaxRelativeError(expected, actual) < Tolerance, $"max relative error {MaxRelativeError(expected, actual)}");
    }

    /// <summary>A weight initializer read by two MatMuls is stored once in int8 (before: once per reader).</summary>
    [Fact]
    public void A_weight_shared_by_two_MatMuls_is_stored_once_in_int8()
    {
        const int k = 16, n = 8;
        using var temp = new TempDirectory();
        var (_, working) = Load(new ModelBuilder(8, 13).Input("x", "batch", k).Input("x2", "batch", k).Initializer("w", ModelBuilder.Random(k * n, 71), k, n)
            .Node("MatMul", ["x", "w"], ["y"]).Node("MatMul", ["x2", "w"], ["y2"])
            .Output("y", "batch", n).Output("y2", "batch", n), temp);

        var result = new DynamicInt8Pass(ProfileCatalog.BuiltIn.Get("x64-avx2")).Run(new PassContext(working));

        Assert.Equal(2, result.Counters["nodes"]);
        Assert.Equal(k * n, result.Counters["weights"]);
        Assert.Equal(["w_quantized", "w_scale", "w_zero_point"], working.Proto.Graph.Initializer.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(working.Proto.Graph.Node.Where(n => n.OpType == "MatMulInteger"), m => Assert.Equal("w_quantized", m.Input[1]));
    }

    /// <summary>A weight held in a Constant node is quantized and the Constant node, read by nothing now, is removed (before,
    /// the fp32 copy shipped beside the int8 one).</summary>
    [Fact]
    public void A_Constant_node_weight_is_quantized_and_its_fp32_Constant_node_is_removed()
    {
        const int k = 16, n = 8;
        using var temp = new TempDirectory();
        var (_, working) = Load(new ModelBuilder(8, 13).Input("x", "batch", k).Constant("w", ModelBuilder.Random(k * n, 61), k, n)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", "batch", n), temp);

        var result = new DynamicInt8Pass(ProfileCatalog.BuiltIn.Get("x64-avx2")).Run(new PassContext(working));

        Assert.Equal(1, result.Counters["nodes"]);
        Assert.Equal(QuantizedMatMul, OpTypes(working));
        Assert.DoesNotContain(working.Proto.Graph.Node, node => node.Input.Contains("w"));
    }
}
