using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Passes.Int8;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.Passes.PassHarness;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>
/// Characterization of <see cref="StaticInt8QdqPass"/>: the QDQ graph it emits today for a small Conv net and a MatMul net,
/// with hand-made activation ranges (exact parameters) or ranges from <see cref="Calibrator"/> (ONNX Runtime checks).
/// </summary>
public sealed class StaticInt8QdqPassTests
{
    /// <summary>
    /// Ranges for every float value of <see cref="ConvNet"/>; those of c (read only by the fused Relu), p, s, f (which inherit
    /// r's parameters) and y (a graph output) must not be used.
    /// </summary>
    private static readonly Dictionary<string, ActivationRange> ConvRanges = new(StringComparer.Ordinal)
    {
        ["x"] = new(-1f, 1f),
        ["c"] = new(-3f, 3f),
        ["r"] = new(0f, 2.55f),
        ["p"] = new(0f, 9f),
        ["s"] = new(-9f, 9f),
        ["f"] = new(-7f, 7f),
        ["y"] = new(-5f, 5f),
    };

    /// <summary>
    /// x[1,3,8,8] → Conv(w[4,3,3,3], b[4], pads 1) → c → Relu → r → MaxPool 2x2 → p → Reshape[1,4,16] → s → Flatten → f →
    /// MatMul(w2[64,10]) → y. Node names: Conv_0, Relu_1, MaxPool_2, Reshape_3, Flatten_4, MatMul_5.
    /// </summary>
    private static ModelBuilder ConvNet(long opset = 13)
    {
        var builder = new ModelBuilder(8, opset)
            .Input("x", 1, 3, 8, 8)
            .Initializer("w", ModelBuilder.Random(4 * 3 * 3 * 3, 1, 0.5f), 4, 3, 3, 3)
            .Initializer("b", ModelBuilder.Random(4, 2, 0.1f), 4)
            .Initializer("w2", ModelBuilder.Random(64 * 10, 3, 0.2f), 64, 10)
            .Node("Conv", ["x", "w", "b"], ["c"], "", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1))
            .Node("Relu", ["c"], ["r"])
            .Node("MaxPool", ["r"], ["p"], "", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2))
            .Node("Reshape", ["p", "shape"], ["s"])
            .Node("Flatten", ["s"], ["f"])
            .Node("MatMul", ["f", "w2"], ["y"])
            .Output("y", 1, 10);
        builder.Graph.Initializer.Add(Int64s("shape", 1, 4, 16));
        return builder;
    }

    /// <summary>x[N,16] → MatMul(w1[16,8]) → h → Add(b1[8]) → a → Relu → r → MatMul(w2[8,4]) → y[N,4].</summary>
    private static ModelBuilder MatMulNet() => new ModelBuilder(8, 13)
        .Input("x", "N", 16)
        .Initializer("w1", ModelBuilder.Random(16 * 8, 4, 0.5f), 16, 8)
        .Initializer("b1", ModelBuilder.Random(8, 5, 0.1f), 8)
        .Initializer("w2", ModelBuilder.Random(8 * 4, 6, 0.5f), 8, 4)
        .Node("MatMul", ["x", "w1"], ["h"])
        .Node("Add", ["h", "b1"], ["a"])
        .Node("Relu", ["a"], ["r"])
        .Node("MatMul", ["r", "w2"], ["y"])
        .Output("y", "N", 4);

    [Fact]
    public void Conv_net_for_x64_avx2_gets_uint8_activations_7_bit_per_channel_weights_and_an_int32_bias()
    {
        var working = new OnnxModel(ConvNet().Build());
        var context = new PassContext(working);

        var result = new StaticInt8QdqPass(ProfileCatalog.BuiltIn.Get("x64-avx2"), ConvRanges).Run(context);

        Assert.Equal(2, result.Counters["nodes"]);
        Assert.Equal((4 * 3 * 3 * 3) + (64 * 10), result.Counters["weights"]);
        Assert.Equal(0, result.Counters["floatNodes"]);
        Assert.Equal(0, result.Counters["biasCorrected"]);
        Assert.Equal(5, result.Counters["activations"]); // x, r, p, s, f
        Assert.Equal(7, result.Counters["weightBits"]);
        Assert.Equal("2 Conv/MatMul node(s) with 7-bit per-channel int8 weights (748 values), 0 kept in float; 5 activation(s) quantized to uint8", result.Summary);
        Assert.Empty(context.RequiredSessionOptions);
        var graph = working.Proto.Graph;
        Assert.Equal(
            ["QuantizeLinear", "DequantizeLinear", "DequantizeLinear", "DequantizeLinear", "Conv", "Relu", "QuantizeLinear", "DequantizeLinear", "MaxPool",
             "QuantizeLinear", "DequantizeLinear", "Reshape", "QuantizeLinear", "DequantizeLinear", "Flatten", "QuantizeLinear", "DequantizeLinear",
             "DequantizeLinear", "MatMul"],
            OpTypes(working));

        // Relu fused: Conv writes c and Relu reads it directly; the QDQ pair comes after the Relu.
        var conv = Assert.Single(graph.Node, n => n.OpType == "Conv");
        var relu = Assert.Single(graph.Node, n => n.OpType == "Relu");
        Assert.Equal(["c"], conv.Output);
        Assert.Equal(["c"], relu.Input);
        Assert.DoesNotContain(graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "c");
        Assert.Equal(["x_dequantized", "w_dequantized", "b_dequantized"], conv.Input);

        // Activations: per tensor, uint8; x from its range, r from its range, p, s and f inherit r's (the ranges given for them are ignored).
        Assert.Equal(2f / 255f, Scalar(working, "x_scale"));
        Assert.Equal(127, ZeroPoint(working, "x_zero_point", TensorProto.Types.DataType.Uint8)); // 1 / (2f / 255f) is just under 127.5 in float
        Assert.Equal(2.55f / 255f, Scalar(working, "r_scale"));
        Assert.Equal(0, ZeroPoint(working, "r_zero_point", TensorProto.Types.DataType.Uint8));
        foreach (var value in new[] { "p", "s", "f" })
        {
            Assert.Equal(2.55f / 255f, Scalar(working, value + "_scale"));
            Assert.Equal(0, ZeroPoint(working, value + "_zero_point", TensorProto.Types.DataType.Uint8));
            var quantize = Assert.Single(graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == value);
            Assert.Equal([value, value + "_scale", value + "_zero_point"], quantize.Input);
        }

        Assert.Equal(["r_dequantized"], Assert.Single(graph.Node, n => n.OpType == "MaxPool").Input);
        Assert.Equal(["p_dequantized", "shape"], Assert.Single(graph.Node, n => n.OpType == "Reshape").Input);
        Assert.Equal(["s_dequantized"], Assert.Single(graph.Node, n => n.OpType == "Flatten").Input);

        // Conv weight: int8 [4,3,3,3], one scale per output channel, DequantizeLinear axis 0; 7 bits.
        var convWeight = Dequantizer(working, "w_dequantized");
        Assert.Equal(["w_quantized", "w_scale", "w_zero_point"], convWeight.Input);
        Assert.Equal(0, Axis(convWeight));
        var wq = Initializer(working, "w_quantized");
        Assert.Equal((int)TensorProto.Types.DataType.Int8, wq.DataType);
        Assert.Equal(new long[] { 4, 3, 3, 3 }, wq.Dims);
        Assert.Equal(63, Int8s(wq).Max(v => Math.Abs((int)v)));
        Assert.Equal(new long[] { 4 }, Initializer(working, "w_scale").Dims);
        Assert.Equal(new long[] { 4 }, Initializer(working, "w_zero_point").Dims);
        Assert.All(Int8s(Initializer(working, "w_zero_point")), z => Assert.Equal(0, z));

        // Conv bias: int32 with scale x_scale · w_scale[c], DequantizeLinear without zero point, axis 0.
        var bias = Dequantizer(working, "b_dequantized");
        Assert.Equal(["b_quantized", "b_scale"], bias.Input);
        Assert.Equal(0, Axis(bias));
        var bq = Initializer(working, "b_quantized");
        Assert.Equal((int)TensorProto.Types.DataType.Int32, bq.DataType);
        Assert.Equal(new long[] { 4 }, bq.Dims);
        var ws = Floats(Initializer(working, "w_scale"));
        var bs = Floats(Initializer(working, "b_scale"));
        var b = ModelBuilder.Random(4, 2, 0.1f);
        for (var c = 0; c < 4; c++)
        {
            Assert.Equal(ws[c] * (2f / 255f), bs[c]);
            Assert.Equal((int)MathF.Round(b[c] / bs[c], MidpointRounding.ToEven), Int32s(bq)[c]);
        }

        // MatMul weight: int8 [64,10], one scale per output column, DequantizeLinear axis 1.
        var matMul = Assert.Single(graph.Node, n => n.OpType == "MatMul");
        Assert.Equal(["f_dequantized", "w2_dequantized"], matMul.Input);
        var matMulWeight = Dequantizer(working, "w2_dequantized");
        Assert.Equal(1, Axis(matMulWeight));
        Assert.Equal(new long[] { 64, 10 }, Initializer(working, "w2_quantized").Dims);
        Assert.Equal(new long[] { 10 }, Initializer(working, "w2_scale").Dims);

        // The graph output stays the float MatMul output: no QDQ pair on y, none on c, and the float weights are gone.
        Assert.Equal(["y"], matMul.Output);
        Assert.DoesNotContain(graph.Node, n => n.Input.Contains("y"));
        Assert.DoesNotContain(graph.Initializer, t => t.Name is "w" or "b" or "w2" or "y_scale" or "c_scale");
    }

    [Fact]
    public void Conv_net_for_arm64_neon_gets_int8_activation_zero_points_and_8_bit_weights()
    {
        var working = new OnnxModel(ConvNet().Build());

        var result = new StaticInt8QdqPass(ProfileCatalog.BuiltIn.Get("arm64-neon"), ConvRanges).Run(new PassContext(working));

        Assert.Equal(8, result.Counters["weightBits"]);
        Assert.Equal(5, result.Counters["activations"]);
        Assert.EndsWith("5 activation(s) quantized to int8", result.Summary, StringComparison.Ordinal);
        Assert.Equal(2f / 255f, Scalar(working, "x_scale"));
        Assert.Equal(-1, ZeroPoint(working, "x_zero_point", TensorProto.Types.DataType.Int8)); // -128 + 127.4999...
        Assert.Equal(-128, ZeroPoint(working, "r_zero_point", TensorProto.Types.DataType.Int8));
        Assert.Equal(-128, ZeroPoint(working, "f_zero_point", TensorProto.Types.DataType.Int8));
        Assert.Equal(127, Int8s(Initializer(working, "w_quantized")).Max(v => Math.Abs((int)v)));
        Assert.Equal(127, Int8s(Initializer(working, "w2_quantized")).Max(v => Math.Abs((int)v)));
    }

    [Fact]
    public void A_node_named_in_floatWeights_keeps_its_float_weight_but_its_input_is_still_quantized()
    {
        var working = new OnnxModel(ConvNet().Build());

        var result = new StaticInt8QdqPass(ProfileCatalog.BuiltIn.Get("x64-avx2"), ConvRanges, new HashSet<string>(StringComparer.Ordinal) { "MatMul_5" })
            .Run(new PassContext(working));

        Assert.Equal(1, result.Counters["nodes"]);
        Assert.Equal(1, result.Counters["floatNodes"]);
        Assert.Equal(4 * 3 * 3 * 3, result.Counters["weights"]);
        Assert.Equal(5, result.Counters["activations"]);
        var matMul = Assert.Single(working.Proto.Graph.Node, n => n.OpType == "MatMul");
        Assert.Equal(["f_dequantized", "w2"], matMul.Input);
        Assert.Equal((int)TensorProto.Types.DataType.Float, Initializer(working, "w2").DataType);
        Assert.DoesNotContain(working.Proto.Graph.Initializer, t => t.Name.StartsWith("w2_", StringComparison.Ordinal));
        Assert.Equal(["x_dequantized", "w_dequantized", "b_dequantized"], Assert.Single(working.Proto.Graph.Node, n => n.OpType == "Conv").Input);
    }

    [Fact]
    public void Channel_means_of_the_Conv_input_correct_its_bias_before_the_int32_rounding()
    {
        var plain = new OnnxModel(ConvNet().Build());
        var corrected = new OnnxModel(ConvNet().Build());
        var profile = ProfileCatalog.BuiltIn.Get("x64-avx2");
        new StaticInt8QdqPass(profile, ConvRanges).Run(new PassContext(plain));

        var result = new StaticInt8QdqPass(profile, ConvRanges, channelMeans: new Dictionary<string, float[]>(StringComparer.Ordinal) { ["x"] = [0.5f, -0.25f, 1f] })
            .Run(new PassContext(corrected));

        Assert.Equal(1, result.Counters["biasCorrected"]);
        var w = ModelBuilder.Random(4 * 3 * 3 * 3, 1, 0.5f);
        var q = Int8s(Initializer(corrected, "w_quantized"));
        var ws = Floats(Initializer(corrected, "w_scale"));
        var bs = Floats(Initializer(corrected, "b_scale"));
        var b = ModelBuilder.Random(4, 2, 0.1f);
        float[] means = [0.5f, -0.25f, 1f];
        for (var m = 0; m < 4; m++)
        {
            double shift = 0;
            for (var i = 0; i < 27; i++)
            {
                var index = (m * 27) + i;
                shift += (w[index] - (q[index] * ws[m])) * means[i / 9];
            }

            Assert.Equal((int)MathF.Round((b[m] + (float)shift) / bs[m], MidpointRounding.ToEven), Int32s(Initializer(corrected, "b_quantized"))[m]);
        }

        Assert.NotEqual(Int32s(Initializer(plain, "b_quantized")), Int32s(Initializer(corrected, "b_quantized")));
    }

    /// <summary>
    /// Outside convolutional blocks Add stays float (the registry's OnlyAfterConvolution: in attention models it carries the
    /// residual stream), so the first MatMul keeps a float output (before, h got a pair that fed only the float Add) and only
    /// the MatMuls' inputs are quantized.
    /// </summary>
    [Fact]
    public void MatMul_net_quantizes_the_MatMul_inputs_keeps_the_bias_Add_float_and_uses_axis_1()
    {
        var ranges = new Dictionary<string, ActivationRange>(StringComparer.Ordinal)
        {
            ["x"] = new(-1f, 1f), ["h"] = new(-4f, 4f), ["a"] = new(-4f, 4f), ["r"] = new(0f, 4f), ["y"] = new(-2f, 2f),
        };
        var working = new OnnxModel(MatMulNet().Build());

        var result = new StaticInt8QdqPass(ProfileCatalog.BuiltIn.Get("x64-avx2"), ranges).Run(new PassContext(working));

        Assert.Equal(2, result.Counters["nodes"]);
        Assert.Equal((16 * 8) + (8 * 4), result.Counters["weights"]);
        Assert.Equal(2, result.Counters["activations"]); // x, r
        var graph = working.Proto.Graph;
        Assert.Equal(["r", "x"], graph.Node.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Input[0]).Order(StringComparer.Ordinal));
        Assert.Equal(["h", "b1"], Assert.Single(graph.Node, n => n.OpType == "Add").Input);
        Assert.Equal(["a"], Assert.Single(graph.Node, n => n.OpType == "Relu").Input);
        foreach (var weight in new[] { "w1", "w2" })
        {
            Assert.Equal(1, Axis(Dequantizer(working, weight + "_dequantized")));
        }

        Assert.Equal(new long[] { 16, 8 }, Initializer(working, "w1_quantized").Dims);
        Assert.Equal(new long[] { 8 }, Initializer(working, "w1_scale").Dims);
        Assert.Equal(new long[] { 8, 4 }, Initializer(working, "w2_quantized").Dims);
        Assert.Equal(new long[] { 4 }, Initializer(working, "w2_scale").Dims);
        Assert.Equal((int)TensorProto.Types.DataType.Float, Initializer(working, "b1").DataType); // a MatMul net's Add bias stays float
        Assert.DoesNotContain(graph.Node, n => n.Input.Contains("y"));
    }

    [Fact]
    public void Opset_below_13_is_refused_with_DSB0099()
    {
        var working = new OnnxModel(ConvNet(opset: 12).Build());

        var e = Assert.Throws<DeepSeekException>(() => new StaticInt8QdqPass(ProfileCatalog.BuiltIn.Get("x64-avx2"), ConvRanges).Run(new PassContext(working)));

        Assert.Equal("DSB0099", e.Id);
        Assert.Equal("static INT8 needs opset 13; the recipe must upgrade the model first", e.Problem);
        Assert.Equal(ConvNet(opset: 12).Build(), working.Proto);
    }

    /// <summary>
    /// x64-avx2 (uint8 activations, 7-bit weights), MinMax ranges from 8 random samples, a ninth sample compared. Measured
    /// max |int8 − fp32| / max |fp32|: Conv net 0.0212, MatMul net 0.0175 (with the 8-bit x64-avx512vnni profile: 0.0111 and
    /// 0.0158); the bounds are about twice that.
    /// </summary>
    [Theory]
    [InlineData("conv", 0.04)]
    [InlineData("matmul", 0.035)]
    public void Calibrated_nets_stay_close_to_float_in_onnx_runtime(string net, double tolerance)
    {
        var (builder, shape) = net == "conv" ? (ConvNet(), new long[] { 1, 3, 8, 8 }) : (MatMulNet(), new long[] { 4, 16 });
        var count = (int)shape.Aggregate(1L, (a, d) => a * d);
        using var temp = new TempDirectory();
        var (source, working) = Load(builder, temp);
        var samples = Enumerable.Range(100, 8)
            .Select(seed => (IReadOnlyDictionary<string, TensorValue>)new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(ModelBuilder.Random(count, seed), shape) })
            .ToList();
        var calibration = Calibrator.Run(working, samples);
        var profile = ProfileCatalog.BuiltIn.Get("x64-avx2");
        var context = new PassContext(working);

        var result = new StaticInt8QdqPass(profile, calibration.Ranges).Run(context);

        Assert.Equal(2, result.Counters["nodes"]);
        Assert.Equal(net == "conv" ? 5 : 2, result.Counters["activations"]);
        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(count, 7), shape, sessionOptions: new Dictionary<string, string>(context.RequiredSessionOptions));
        var error = MaxRelativeError(expected, actual);
        Assert.True(error > 0, "the output is bit-identical to fp32: nothing ran quantized");
        Assert.True(error < tolerance, $"max relative error {error}");
    }

    /// <summary>A MatMul weight held in a Constant node is quantized and the Constant node, read by nothing now, is removed
    /// (before, the fp32 copy shipped beside the int8 one).</summary>
    [Fact]
    public void A_Constant_node_weight_is_quantized_and_its_fp32_Constant_node_is_removed()
    {
        var working = new OnnxModel(new ModelBuilder(8, 13).Input("x", "N", 16).Constant("w", ModelBuilder.Random(16 * 8, 1), 16, 8)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", "N", 8).Build());

        var result = new StaticInt8QdqPass(ProfileCatalog.BuiltIn.Get("x64-avx2"), new Dictionary<string, ActivationRange>(StringComparer.Ordinal) { ["x"] = new(-1f, 1f) })
            .Run(new PassContext(working));

        Assert.Equal(1, result.Counters["nodes"]);
        Assert.Equal(["QuantizeLinear", "DequantizeLinear", "DequantizeLinear", "MatMul"], OpTypes(working));
        Assert.DoesNotContain(working.Proto.Graph.Node, n => n.Input.Contains("w"));
    }

    private static float Scalar(OnnxModel model, string name)
    {
        var tensor = Initializer(model, name);
        Assert.Empty(tensor.Dims);
        return Assert.Single(Floats(tensor));
    }

    private static int ZeroPoint(OnnxModel model, string name, TensorProto.Types.DataType type)
    {
        var tensor = Initializer(model, name);
        Assert.Equal((int)type, tensor.DataType);
        Assert.Empty(tensor.Dims);
        var data = Assert.Single(tensor.RawData.ToByteArray());
        return type == TensorProto.Types.DataType.Int8 ? (sbyte)data : data;
    }

    private static NodeProto Dequantizer(OnnxModel model, string output)
        => Assert.Single(model.Proto.Graph.Node, n => n.OpType == "DequantizeLinear" && n.Output.Contains(output));

    private static long Axis(NodeProto node) => Assert.Single(node.Attribute, a => a.Name == "axis").I;
}
