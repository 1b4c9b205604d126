using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

public sealed class RuntimeErrorTests
{
    [Fact]
    public void An_operator_without_a_cpu_kernel_is_DSB0062_naming_it()
    {
        // ONNX Runtime's CPU provider has no double Acos: a recipe that emitted one must be stopped before it ships.
        // (float16 ops are no test: the runtime wraps them in Casts to float by itself.)
        using var temp = new TempDirectory();
        var builder = new ModelBuilder(8, 14).Node("Acos", ["x"], ["y"]);
        builder.Graph.Input.Add(Typed("x"));
        builder.Graph.Output.Add(Typed("y"));
        var path = builder.Save(temp.File("double-acos.onnx"));

        var e = Assert.Throws<DeepSeekException>(() => ModelSession.Open(path, null));

        Assert.Equal("DSB0062", e.Id);
        Assert.Contains("Acos(7)", e.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.ToErrorLine());
    }

    [Fact]
    public void Data_that_does_not_fit_the_model_is_DSB0066()
    {
        using var temp = new TempDirectory();
        var path = ModelBuilder.Mlp(8, 13).Save(temp.File("mlp.onnx"));
        using var session = ModelSession.Open(path, null);
        var e = Assert.Throws<DeepSeekException>(() => session.Run(new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(new float[7], 1, 7) }, null, path));
        Assert.Equal("DSB0066", e.Id);
    }

    private static ValueInfoProto Typed(string name) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Double, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 4 } } } } },
    };
}
