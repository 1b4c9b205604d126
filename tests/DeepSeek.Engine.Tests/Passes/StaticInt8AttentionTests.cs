using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.Passes.PassHarness;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>
/// Static INT8 on an attention block with the fused LayerNormalization (opset 17) and a Gelu-free FFN: the registry keeps
/// LayerNormalization, Softmax, the scaling Div and the residual Add float, quantizes every MatMul input (both inputs of the
/// attention products), and gives a value a pair only for its int8 readers.
/// </summary>
public sealed class StaticInt8AttentionTests
{
    private const int Tokens = 6, Width = 16;

    /// <summary>x[1,6,16] → LayerNormalization → n; q = n·Wq, k = n·Wk, v = n·Wv; p = Softmax(q·kᵀ / 4); a = p·v; y = x + a·Wo.</summary>
    private static ModelBuilder Block()
    {
        var builder = new ModelBuilder(8, 17).Input("x", 1, Tokens, Width)
            .Initializer("gamma", ModelBuilder.Random(Width, 1, 0.2f).Select(g => 1 + g).ToArray(), Width)
            .Initializer("beta", ModelBuilder.Random(Width, 2, 0.1f), Width)
            .Initializer("four", [4f])
            .Node("LayerNormalization", ["x", "gamma", "beta"], ["n"], "", Int("axis", -1));
        foreach (var (name, seed) in new[] { ("q", 3), ("k", 4), ("v", 5) })
        {
            builder.Initializer("W" + name, ModelBuilder.Random(Width * Width, seed, 0.3f), Width, Width).Node("MatMul", ["n", "W" + name], [name]);
        }

        return builder
            .Node("Transpose", ["k"], ["kt"], "", Ints("perm", 0, 2, 1))
            .Node("MatMul", ["q", "kt"], ["scores"])
            .Node("Div", ["scores", "four"], ["scaled"])
            .Node("Softmax", ["scaled"], ["p"], "", Int("axis", -1))
            .Node("MatMul", ["p", "v"], ["a"])
            .Initializer("Wo", ModelBuilder.Random(Width * Width, 6, 0.3f), Width, Width)
            .Node("MatMul", ["a", "Wo"], ["o"])
            .Node("Add", ["x", "o"], ["y"])
            .Output("y", 1, Tokens, Width);
    }

    [Fact]
    public void LayerNorm_Softmax_and_the_residual_stay_float_and_every_MatMul_reads_int8()
    {
        using var temp = new TempDirectory();
        var (source, working) = Load(Block(), temp);
        var samples = Enumerable.Range(20, 8)
            .Select(seed => (IReadOnlyDictionary<string, TensorValue>)new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(ModelBuilder.Random(Tokens * Width, seed, 2f), 1, Tokens, Width) })
            .ToList();
        var calibration = Calibrator.Run(working, samples);

        var result = new StaticInt8QdqPass(ProfileCatalog.BuiltIn.ForHost(), calibration.Ranges).Run(new PassContext(working));

        var graph = working.Proto.Graph;
        var dequantized = graph.Node.Where(n => n.OpType == "DequantizeLinear").Select(n => n.Output[0]).ToHashSet(StringComparer.Ordinal);
        var quantized = graph.Node.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Input[0]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["a", "k", "kt", "n", "p", "q", "v"], quantized); // not scores, scaled, o (read by float ops) nor y (the output)
        var pair = (string value) => graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == value).Input[1];
        Assert.Equal(Floats(Initializer(working, pair("k"))), Floats(Initializer(working, pair("kt")))); // the Transpose passes k's scale through
        Assert.Equal(4, result.Counters["nodes"]); // Wq, Wk, Wv, Wo
        Assert.All(graph.Node.Where(n => n.OpType == "MatMul"), m => Assert.All(m.Input, i => Assert.Contains(i, dequantized)));
        foreach (var op in new[] { "LayerNormalization", "Softmax", "Div", "Add" })
        {
            Assert.All(graph.Node.Single(n => n.OpType == op).Input, i => Assert.DoesNotContain(i, dequantized));
        }

        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(Tokens * Width, 7, 2f), [1, Tokens, Width]);
        var error = MaxRelativeError(expected, actual);
        Assert.True(error is > 0 and < 0.05, $"max relative error {error}");
    }
}
