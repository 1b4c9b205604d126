using DeepSeek.Engine.Passes;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.Passes.PassHarness;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>Characterization of <see cref="Fp16WeightsPass"/>: which tensors become float16 + Cast today, and how out-of-range values are handled.</summary>
public sealed class Fp16WeightsPassTests
{
    /// <summary>
    /// Bound on max |fp16 weights − fp32| / max |fp32| in ONNX Runtime for this net (8 → 16 → 4, weights in [-1, 1]).
    /// Measured: 4.1e-4 (float16 keeps 11 significant bits: a relative rounding of up to 4.9e-4 per weight).
    /// </summary>
    private const double Tolerance = 1e-3;

    /// <summary>
    /// x[N,8] → MatMul(w1 init [8,16]) → Add(b1 Constant [16]) → Relu → MatMul(w2 init [16,4]) → Add(b2 init [4]) → Mul(k Constant [4]) → y[N,4].
    /// </summary>
    private static ModelBuilder Net() => new ModelBuilder(8, 13)
        .Input("x", "N", 8)
        .Initializer("w1", ModelBuilder.Random(8 * 16, 1), 8, 16)
        .Initializer("w2", ModelBuilder.Random(16 * 4, 2), 16, 4)
        .Initializer("b2", ModelBuilder.Random(4, 3), 4)
        .Constant("b1", ModelBuilder.Random(16, 4), 16)
        .Constant("k", ModelBuilder.Random(4, 5), 4)
        .Node("MatMul", ["x", "w1"], ["h"])
        .Node("Add", ["h", "b1"], ["a"])
        .Node("Relu", ["a"], ["r"])
        .Node("MatMul", ["r", "w2"], ["m"])
        .Node("Add", ["m", "b2"], ["t"])
        .Node("Mul", ["t", "k"], ["y"])
        .Output("y", "N", 4);

    [Fact]
    public void Initializers_and_Constant_values_of_at_least_MinElements_become_float16_with_a_Cast_and_smaller_ones_stay_float()
    {
        using var temp = new TempDirectory();
        var (source, working) = Load(Net(), temp);

        var result = new Fp16WeightsPass().Run(new PassContext(working));

        Assert.Equal(16, Fp16WeightsPass.MinElements);
        Assert.Equal(3, result.Counters["tensors"]); // w1, w2, b1 (16 elements: the threshold itself converts)
        Assert.Equal((8 * 16) + (16 * 4) + 16, result.Counters["values"]);
        Assert.Equal(0, result.Counters["keptFloat"]);
        Assert.Equal("3 weight tensor(s), 208 values, stored as float16 (0 kept in fp32: values beyond ±65504; 0 embedding table(s) cast after the Gather)", result.Summary);
        Assert.Equal(["Constant", "Constant", "Cast", "MatMul", "Cast", "Cast", "Add", "Relu", "MatMul", "Add", "Mul"], OpTypes(working));
        var graph = working.Proto.Graph;

        // Initializers: a float16 copy named <name>_fp16 of the same dims, the float one removed, a Cast back to the old name.
        Assert.Equal(["b2", "w1_fp16", "w2_fp16"], graph.Initializer.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var (name, seed, dims) in new[] { ("w1", 1, new long[] { 8, 16 }), ("w2", 2, new long[] { 16, 4 }) })
        {
            var half = Initializer(working, name + "_fp16");
            Assert.Equal((int)TensorProto.Types.DataType.Float16, half.DataType);
            Assert.Equal(dims, half.Dims);
            Assert.Equal(ModelBuilder.Random((int)(dims[0] * dims[1]), seed).Select(v => (Half)v), Halves(half));
            AssertCast(working, name + "_fp16", name);
        }

        // Constant nodes: the value becomes float16 in place, the node's output is renamed and a Cast restores the old name.
        var b1 = Assert.Single(graph.Node, n => n.OpType == "Constant" && n.Output[0] == "b1_fp16");
        var value = Assert.Single(b1.Attribute).T;
        Assert.Equal((int)TensorProto.Types.DataType.Float16, value.DataType);
        Assert.Equal(new long[] { 16 }, value.Dims);
        Assert.Equal(ModelBuilder.Random(16, 4).Select(v => (Half)v), Halves(value));
        AssertCast(working, "b1_fp16", "b1");

        // Below MinElements: b2 (initializer) and k (Constant) stay float with no Cast; inputs and outputs stay float.
        Assert.Equal((int)TensorProto.Types.DataType.Float, Initializer(working, "b2").DataType);
        var k = Assert.Single(graph.Node, n => n.OpType == "Constant" && n.Output[0] == "k");
        Assert.Equal((int)TensorProto.Types.DataType.Float, Assert.Single(k.Attribute).T.DataType);
        Assert.Equal(3, graph.Node.Count(n => n.OpType == "Cast"));
        Assert.Equal((int)TensorProto.Types.DataType.Float, Assert.Single(graph.Input).Type.TensorType.ElemType);
        Assert.Equal((int)TensorProto.Types.DataType.Float, Assert.Single(graph.Output).Type.TensorType.ElemType);

        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(5 * 8, 6), [5, 8]);
        var error = MaxRelativeError(expected, actual);
        Assert.True(error > 0, "bit-identical to fp32: the weights were not rounded");
        Assert.True(error < Tolerance, $"max relative error {error}");
    }

    [Fact]
    public void Initializers_listed_as_graph_inputs_stay_float()
    {
        // IR 3: w1 and w2 are also graph inputs (overridable), so only the Constant b1 converts.
        var working = new OnnxModel(ModelBuilder.Mlp(3, 9).Build());

        var result = new Fp16WeightsPass().Run(new PassContext(working));

        Assert.Equal(1, result.Counters["tensors"]);
        Assert.Equal(16, result.Counters["values"]);
        Assert.All(working.Proto.Graph.Initializer, t => Assert.Equal((int)TensorProto.Types.DataType.Float, t.DataType));
        Assert.Equal(["w1", "w2"], working.Proto.Graph.Initializer.Select(t => t.Name));
        AssertCast(working, "b1_fp16", "b1");
    }

    /// <summary>
    /// A tensor with a finite value beyond ±65504 stays fp32 whole, and is counted (before, the value was clamped to 65504:
    /// a BatchNormalization variance so clamped cost ResNet-18 fidelity); exactly 65504, ±infinity and NaN are representable
    /// and convert.
    /// </summary>
    [Theory]
    [InlineData(1e5f)]
    [InlineData(-7e4f)]
    [InlineData(65505f)]
    public void A_tensor_with_a_value_beyond_the_float16_range_stays_fp32(float outOfRange)
    {
        var w = ModelBuilder.Random(16, 7);
        w[0] = outOfRange;
        var c = ModelBuilder.Random(16, 8);
        (c[3], c[4], c[5]) = (65504f, float.PositiveInfinity, float.NaN);
        var working = new OnnxModel(new ModelBuilder(8, 13).Input("x", "N", 16).Initializer("w", w, 16).Constant("c", c, 16)
            .Node("Add", ["x", "w"], ["s"]).Node("Mul", ["s", "c"], ["y"]).Output("y", "N", 16).Build());

        var result = new Fp16WeightsPass().Run(new PassContext(working));

        Assert.Equal(1, result.Counters["tensors"]);
        Assert.Equal(16, result.Counters["values"]);
        Assert.Equal(1, result.Counters["keptFloat"]);
        Assert.Equal("1 weight tensor(s), 16 values, stored as float16 (1 kept in fp32: values beyond ±65504; 0 embedding table(s) cast after the Gather)", result.Summary);
        var kept = Initializer(working, "w");
        Assert.Equal((int)TensorProto.Types.DataType.Float, kept.DataType);
        Assert.Equal(w, Floats(kept));
        var constant = Assert.Single(working.Proto.Graph.Node, n => n.OpType == "Constant");
        var stored = Halves(Assert.Single(constant.Attribute).T);
        Assert.Equal(Half.MaxValue, stored[3]);
        Assert.True(Half.IsPositiveInfinity(stored[4]));
        Assert.True(Half.IsNaN(stored[5]));
    }

    private static void AssertCast(OnnxModel model, string from, string to)
    {
        var cast = Assert.Single(model.Proto.Graph.Node, n => n.OpType == "Cast" && n.Output[0] == to);
        Assert.Equal([from], cast.Input);
        Assert.Equal(to + "_to_float", cast.Name);
        Assert.Equal((long)TensorProto.Types.DataType.Float, Assert.Single(cast.Attribute, a => a.Name == "to").I);
    }
}
