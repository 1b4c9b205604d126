using System.Runtime.InteropServices;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Testing;

/// <summary>Builds small ONNX models for unit tests of one feature (synthetic models only for that; see DEVELOPERS.md).</summary>
public sealed class ModelBuilder
{
    private readonly ModelProto model;

    public ModelBuilder(long irVersion = 8, long opset = 13, string producer = "DeepSeek.Tests")
    {
        model = new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = producer,
            ProducerVersion = "1",
            Graph = new GraphProto { Name = "test" },
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public GraphProto Graph => model.Graph;

    public ModelBuilder Opset(string domain, long version)
    {
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return this;
    }

    /// <summary>Declares a float input; dims are ints (fixed) or strings (symbolic).</summary>
    public ModelBuilder Input(string name, params object[] dims)
    {
        model.Graph.Input.Add(Value(name, dims));
        return this;
    }

    public ModelBuilder Output(string name, params object[] dims)
    {
        model.Graph.Output.Add(Value(name, dims));
        return this;
    }

    /// <summary>Adds a float initializer stored as raw_data (and, for IR 3, also lists it as a graph input, as IR 3 requires).</summary>
    public ModelBuilder Initializer(string name, float[] data, params long[] dims)
    {
        model.Graph.Initializer.Add(FloatTensor(name, data, dims));
        if (model.IrVersion < 4)
        {
            model.Graph.Input.Add(Value(name, dims.Cast<object>().ToArray()));
        }

        return this;
    }

    public ModelBuilder Node(string opType, string[] inputs, string[] outputs, string domain = "", params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{model.Graph.Node.Count}" };
        if (domain.Length > 0)
        {
            node.Domain = domain;
        }

        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        model.Graph.Node.Add(node);
        return this;
    }

    /// <summary>Adds a Constant node whose value is a float tensor (weights held in a node, not an initializer).</summary>
    public ModelBuilder Constant(string output, float[] data, params long[] dims)
        => Node("Constant", [], [output], "", new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = FloatTensor("", data, dims) });

    public ModelProto Build() => model.Clone();

    public byte[] ToBytes() => model.ToByteArray();

    public string Save(string path)
    {
        File.WriteAllBytes(path, ToBytes());
        return path;
    }

    public static TensorProto FloatTensor(string name, float[] data, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        return tensor;
    }

    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var data = new float[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return data;
    }

    public static ValueInfoProto Value(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) },
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    /// <summary>
    /// A two-layer MLP, x[N,8] → MatMul(w1 initializer) → Add(b1 held in a Constant node) → Relu → MatMul(w2) → y[N,4],
    /// valid at any IR version from 3 and any opset from 7.
    /// </summary>
    public static ModelBuilder Mlp(long irVersion, long opset, int seed = 1)
    {
        return new ModelBuilder(irVersion, opset)
            .Input("x", "N", 8)
            .Initializer("w1", Random(8 * 16, seed), 8, 16)
            .Constant("b1", Random(16, seed + 1), 16)
            .Initializer("w2", Random(16 * 4, seed + 2), 16, 4)
            .Node("MatMul", ["x", "w1"], ["h0"])
            .Node("Add", ["h0", "b1"], ["h1"])
            .Node("Relu", ["h1"], ["h2"])
            .Node("MatMul", ["h2", "w2"], ["y"])
            .Output("y", "N", 4);
    }
}
