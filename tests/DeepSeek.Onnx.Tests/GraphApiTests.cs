using DeepSeek.Onnx.Inspection;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Onnx.Tests;

public sealed class GraphApiTests
{
    [Fact]
    public void ResNet18_interface_operators_and_parameters()
    {
        var model = OnnxModel.Load(TestAssets.ResNet18);
        var summary = ModelInspector.Inspect(model);

        Assert.Equal(3, summary.IrVersion);
        Assert.Equal("CNTK", summary.ProducerName);
        Assert.Equal([new OpsetImport("", 8)], summary.Opsets);
        var input = Assert.Single(summary.Inputs);
        Assert.Equal("float", input.ElementTypeName);
        Assert.Equal("[1,3,224,224]", input.ShapeText);
        Assert.Equal("[1,512,1,1]", Assert.Single(summary.Outputs).ShapeText);
        Assert.Equal(22, summary.Operators.Single(o => o.OpType == "Conv").Count);
        Assert.Equal(summary.NodeCount, summary.Operators.Sum(o => o.Count));

        // Parameters are counted from the tensors themselves: elements times 4 bytes, all float, all initializers.
        var elements = model.Graph.Initializers.Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));
        Assert.Equal(elements, summary.Parameters.Count);
        Assert.Equal(elements * 4, summary.Parameters.Bytes);
        Assert.Equal(model.Graph.Initializers.Sum(t => (long)t.RawData.Length + (t.FloatData.Count * 4L)), summary.Parameters.Bytes);
        Assert.Equal("initializer", Assert.Single(summary.Parameters.ByLocation).Key);
        // The 11.2M-weight ResNet-18 convolution trunk plus CNTK's batch-norm tensors.
        Assert.InRange(summary.Parameters.Count, 11_000_000, 16_000_000);
    }

    [Fact]
    public void Weights_in_constant_nodes_and_subgraphs_are_counted()
    {
        var builder = ModelBuilder.Mlp(8, 13);
        var then = new GraphProto { Name = "then" };
        then.Node.Add(new NodeProto { OpType = "Constant", Output = { "t" }, Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = ModelBuilder.FloatTensor("", new float[6], 2, 3) } } });
        then.Output.Add(ModelBuilder.Value("t", [2, 3]));
        var otherwise = new GraphProto { Name = "else" };
        otherwise.Node.Add(new NodeProto { OpType = "Constant", Output = { "e" }, Attribute = { new AttributeProto { Name = "value_floats", Type = AttributeProto.Types.AttributeType.Floats, Floats = { 1, 2, 3, 4, 5, 6 } } } });
        otherwise.Output.Add(ModelBuilder.Value("e", [6]));
        builder.Graph.Node.Add(new NodeProto
        {
            OpType = "If",
            Name = "branch",
            Input = { "cond" },
            Output = { "z" },
            Attribute =
            {
                new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then },
                new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = otherwise },
            },
        });
        builder.Graph.Input.Add(ModelBuilder.Value("cond", []));
        var model = new OnnxModel(builder.Build());
        Validation.ModelValidator.Validate(model);

        var weights = model.Graph.Weights().ToArray();
        Assert.Equal(["w1", "w2", "b1", "t", "e"], weights.Select(w => w.Name));
        Assert.Equal("main/branch.then_branch", weights.Single(w => w.Name == "t").GraphPath);
        var summary = ModelInspector.Inspect(model);
        Assert.Equal((8 * 16) + (16 * 4), summary.Parameters.ByLocation.Single(g => g.Key == "initializer").Count);
        Assert.Equal(16 + 6 + 6, summary.Parameters.ByLocation.Single(g => g.Key == "constant-node").Count);
        Assert.Equal(1, summary.Operators.Single(o => o.OpType == "If").Count);
        Assert.Equal(3, summary.Operators.Single(o => o.OpType == "Constant").Count);
    }

    [Fact]
    public void Typed_data_fields_are_read_as_raw_little_endian_bytes()
    {
        var tensor = new TensorProto { Name = "t", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 3 }, FloatData = { 1f, -2f, 0.5f } };
        var bytes = TensorData.ReadBytes(tensor, null, "m.onnx");
        Assert.Equal(new[] { 1f, -2f, 0.5f }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());

        var int8 = new TensorProto { Name = "q", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { 2, 2 }, Int32Data = { -1, 2, -128, 127 } };
        Assert.Equal(new byte[] { 0xFF, 2, 0x80, 127 }, TensorData.ReadBytes(int8, null, "m.onnx"));

        var int4 = new TensorProto { Name = "q4", DataType = (int)TensorProto.Types.DataType.Int4, Dims = { 3 }, Int32Data = { 1, -1, 7 } };
        Assert.Equal(new byte[] { 0xF1, 0x07 }, TensorData.ReadBytes(int4, null, "m.onnx"));
    }
}
