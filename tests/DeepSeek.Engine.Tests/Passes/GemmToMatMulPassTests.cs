using DeepSeek.Engine.Data;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Passes;

public sealed class GemmToMatMulPassTests
{
    [Theory]
    [InlineData(0, 1f, 1f, true)]
    [InlineData(1, 0.5f, 2f, true)]
    [InlineData(1, 1f, 1f, false)]
    public void Gemm_becomes_MatMul_plus_Add_with_the_same_outputs_in_onnx_runtime(int transB, float alpha, float beta, bool withBias)
    {
        using var temp = new TempDirectory();
        var builder = new ModelBuilder(8, 13).Input("x", "batch", 12)
            .Initializer("b", ModelBuilder.Random(12 * 5, 4), transB == 1 ? [5, 12] : [12, 5]);
        if (withBias)
        {
            builder.Initializer("c", ModelBuilder.Random(5, 6), 5);
        }

        builder.Node("Gemm", withBias ? ["x", "b", "c"] : ["x", "b"], ["y"], "",
            new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = transB },
            new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = alpha },
            new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = beta })
            .Output("y", "batch", 5);
        var source = builder.Save(temp.File("gemm.onnx"));
        var model = DeepSeek.Onnx.IO.ModelReader.Read(source);
        var working = new OnnxModel(model.Proto.Clone(), model.DisplayPath, model.BaseDirectory);

        var result = new GemmToMatMulPass().Run(new PassContext(working));

        Assert.Equal(1, result.Counters["rewritten"]);
        Assert.DoesNotContain(working.Proto.Graph.Node, n => n.OpType == "Gemm");
        Assert.Equal(withBias ? 2 : 1, working.Proto.Graph.Node.Count);
        working.Save(temp.File("matmul.onnx"));
        using var a = ModelSession.Open(source, null);
        using var b = ModelSession.Open(temp.File("matmul.onnx"), null);
        var x = new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(ModelBuilder.Random(3 * 12, 8), 3, 12) };
        var expected = a.Run(x)["y"].GetData<float>();
        var actual = b.Run(x)["y"].GetData<float>();
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 4);
        }
    }
}
