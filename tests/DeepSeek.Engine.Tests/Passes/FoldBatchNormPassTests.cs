using DeepSeek.Engine.Passes;
using DeepSeek.Onnx.Model;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.Passes.PassHarness;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>Characterization of <see cref="FoldBatchNormPass"/>: Conv + BatchNormalization → one Conv with a bias.</summary>
public sealed class FoldBatchNormPassTests
{
    private const float Epsilon = 1e-3f;

    /// <summary>x[1,3,6,6] → Conv(w[4,3,3,3] [, b[4]]) → c → BatchNormalization(scale, shift, mean, var; epsilon 1e-3) → y[1,4,4,4].</summary>
    private static ModelBuilder ConvBatchNorm(bool convBias)
    {
        var builder = new ModelBuilder(8, 13)
            .Input("x", 1, 3, 6, 6)
            .Initializer("w", ModelBuilder.Random(4 * 3 * 3 * 3, 1), 4, 3, 3, 3)
            .Initializer("scale", ModelBuilder.Random(4, 3), 4)
            .Initializer("shift", ModelBuilder.Random(4, 4), 4)
            .Initializer("mean", ModelBuilder.Random(4, 5), 4)
            .Initializer("var", Variance(), 4);
        if (convBias)
        {
            builder.Initializer("b", ModelBuilder.Random(4, 2), 4);
        }

        return builder
            .Node("Conv", convBias ? ["x", "w", "b"] : ["x", "w"], ["c"], "", Ints("kernel_shape", 3, 3))
            .Node("BatchNormalization", ["c", "scale", "shift", "mean", "var"], ["y"], "", Float("epsilon", Epsilon))
            .Output("y", 1, 4, 4, 4);
    }

    private static float[] Variance() => ModelBuilder.Random(4, 6).Select(v => MathF.Abs(v) + 0.1f).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Conv_and_BatchNormalization_fold_into_one_Conv_with_a_bias(bool convBias)
    {
        using var temp = new TempDirectory();
        var (source, working) = Load(ConvBatchNorm(convBias), temp);

        var result = new FoldBatchNormPass().Run(new PassContext(working));

        Assert.Equal(1, result.Counters["folded"]);
        Assert.Equal(convBias ? 6 : 5, result.Counters["initializersRemoved"]); // w, [b,] scale, shift, mean, var
        Assert.Equal("folded 1 BatchNormalization node(s) into Conv", result.Summary);
        var conv = Assert.Single(working.Proto.Graph.Node);
        Assert.Equal("Conv", conv.OpType);
        Assert.Equal("Conv_0", conv.Name);
        var biasName = convBias ? "b_folded" : "Conv_0_bias_folded";
        Assert.Equal(["x", "w_folded", biasName], conv.Input);
        Assert.Equal(["y"], conv.Output);
        Assert.Equal(["w_folded", biasName], working.Proto.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(new long[] { 4, 3, 3, 3 }, Initializer(working, "w_folded").Dims);
        Assert.Equal(new long[] { 4 }, Initializer(working, biasName).Dims);

        // W' = W·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β, in float arithmetic.
        var (w, scale, shift, mean, variance) = (ModelBuilder.Random(108, 1), ModelBuilder.Random(4, 3), ModelBuilder.Random(4, 4), ModelBuilder.Random(4, 5), Variance());
        var b = convBias ? ModelBuilder.Random(4, 2) : new float[4];
        var folded = Floats(Initializer(working, "w_folded"));
        var bias = Floats(Initializer(working, biasName));
        for (var c = 0; c < 4; c++)
        {
            var factor = scale[c] / MathF.Sqrt(variance[c] + Epsilon);
            Assert.Equal(((b[c] - mean[c]) * factor) + shift[c], bias[c]);
            for (var i = 0; i < 27; i++)
            {
                Assert.Equal(w[(c * 27) + i] * factor, folded[(c * 27) + i]);
            }
        }

        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(3 * 6 * 6, 7), [1, 3, 6, 6]);
        var error = MaxRelativeError(expected, actual);

        // Measured: 0 in both cases (ONNX Runtime fuses Conv + BatchNormalization itself when it loads the original, to the same weights).
        Assert.True(error < 1e-4, $"max relative error {error}");
    }

    [Theory]
    [InlineData("conv output is also a graph output")]
    [InlineData("conv output is also read by a Relu")]
    [InlineData("BatchNormalization after a Relu")]
    [InlineData("Conv weight is a graph input")]
    public void BatchNormalization_stays_when_it_cannot_be_folded(string situation)
    {
        var builder = new ModelBuilder(8, 13)
            .Input("x", 1, 3, 6, 6)
            .Initializer("w", ModelBuilder.Random(108, 1), 4, 3, 3, 3)
            .Initializer("scale", ModelBuilder.Random(4, 3), 4)
            .Initializer("shift", ModelBuilder.Random(4, 4), 4)
            .Initializer("mean", ModelBuilder.Random(4, 5), 4)
            .Initializer("var", Variance(), 4)
            .Node("Conv", ["x", "w"], ["c"], "", Ints("kernel_shape", 3, 3));
        var bnInput = "c";
        switch (situation)
        {
            case "conv output is also a graph output":
                builder.Output("c", 1, 4, 4, 4);
                break;
            case "conv output is also read by a Relu":
                builder.Node("Relu", ["c"], ["r"]).Output("r", 1, 4, 4, 4);
                break;
            case "BatchNormalization after a Relu":
                builder.Node("Relu", ["c"], ["r"]);
                bnInput = "r";
                break;
            default:
                builder.Graph.Input.Add(ModelBuilder.Value("w", [4, 3, 3, 3])); // overridable, so not constant
                break;
        }

        var model = builder.Node("BatchNormalization", [bnInput, "scale", "shift", "mean", "var"], ["y"]).Output("y", 1, 4, 4, 4).Build();
        var working = new OnnxModel(model.Clone());

        var result = new FoldBatchNormPass().Run(new PassContext(working));

        Assert.Equal(0, result.Counters["folded"]);
        Assert.Equal(0, result.Counters["initializersRemoved"]);
        Assert.Equal(model, working.Proto);
    }

    /// <summary>BatchNormalization parameters held in Constant nodes are folded and the Constant nodes, read by nothing now,
    /// are removed with the unused initializers (before, they stayed in the graph).</summary>
    [Fact]
    public void Constant_node_BatchNormalization_parameters_are_folded_and_the_Constant_nodes_removed()
    {
        var working = new OnnxModel(new ModelBuilder(8, 13)
            .Input("x", 1, 3, 6, 6)
            .Initializer("w", ModelBuilder.Random(108, 1), 4, 3, 3, 3)
            .Constant("scale", ModelBuilder.Random(4, 3), 4)
            .Constant("shift", ModelBuilder.Random(4, 4), 4)
            .Constant("mean", ModelBuilder.Random(4, 5), 4)
            .Constant("var", Variance(), 4)
            .Node("Conv", ["x", "w"], ["c"], "", Ints("kernel_shape", 3, 3))
            .Node("BatchNormalization", ["c", "scale", "shift", "mean", "var"], ["y"])
            .Output("y", 1, 4, 4, 4)
            .Build());

        var result = new FoldBatchNormPass().Run(new PassContext(working));

        Assert.Equal(1, result.Counters["folded"]);
        Assert.Equal(5, result.Counters["initializersRemoved"]); // w and the four Constant nodes
        Assert.Equal(["Conv"], OpTypes(working));
        Assert.DoesNotContain(working.Proto.Graph.Node, n => n.Input.Any(i => i is "scale" or "shift" or "mean" or "var"));
    }
}
