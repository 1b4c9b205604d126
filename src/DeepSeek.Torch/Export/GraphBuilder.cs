using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Torch.Export;

/// <summary>
/// Builds one ONNX graph: nodes, float and int64 initializers and shared scalar constants, every name unique and made of
/// <c>[A-Za-z0-9_]</c> only (derived from module paths, which are free text).
/// </summary>
internal sealed class GraphBuilder
{
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<float, string> scalars = [];

    public GraphBuilder(string graphName)
    {
        Graph = new GraphProto { Name = graphName };
    }

    public GraphProto Graph { get; }

    /// <summary>Reserves a name the caller chose (graph input and output); it must not be taken yet.</summary>
    public void Reserve(string name)
    {
        if (!names.Add(name))
        {
            throw new ArgumentException($"the name '{name}' is used twice in the exported graph", nameof(name));
        }
    }

    /// <summary>A fresh name: <paramref name="stem"/> sanitized, with a numeric suffix if it is taken.</summary>
    public string Unique(string stem)
    {
        var baseName = Sanitize(stem);
        var name = baseName;
        for (var i = 1; !names.Add(name); i++)
        {
            name = baseName + "_" + i.ToString(CultureInfo.InvariantCulture);
        }

        return name;
    }

    /// <summary>Adds a float32 initializer (row-major <paramref name="data"/> of shape <paramref name="dims"/>) and returns its name.</summary>
    public string AddInitializer(string stem, ReadOnlySpan<float> data, ReadOnlySpan<long> dims)
    {
        var bytes = new byte[data.Length * sizeof(float)];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), data[i]);
        }

        return AddTensor(stem, TensorProto.Types.DataType.Float, bytes, dims);
    }

    /// <summary>Adds an int64 initializer (a shape for Reshape) and returns its name.</summary>
    public string AddInt64Initializer(string stem, ReadOnlySpan<long> data)
    {
        var bytes = new byte[data.Length * sizeof(long)];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), data[i]);
        }

        return AddTensor(stem, TensorProto.Types.DataType.Int64, bytes, [data.Length]);
    }

    /// <summary>A float32 scalar initializer, one per value in the whole graph.</summary>
    public string Scalar(float value)
    {
        if (!scalars.TryGetValue(value, out var name))
        {
            name = AddInitializer("const_" + value.ToString("R", CultureInfo.InvariantCulture), [value], []);
            scalars.Add(value, name);
        }

        return name;
    }

    /// <summary>Adds a node named after <paramref name="stem"/> with one output, and returns the output's name.</summary>
    public string AddNode(string opType, string stem, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique(stem + "_" + opType) };
        node.Input.AddRange(inputs);
        node.Output.Add(Unique(stem + "_" + opType + "_out"));
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>Renames a value everywhere it appears (the last value becomes the graph output's name).</summary>
    public void Rename(string from, string to)
    {
        foreach (var node in Graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }

            for (var i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == from)
                {
                    node.Output[i] = to;
                }
            }
        }
    }

    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>Module paths (<c>features.0</c>) become <c>features_0</c>: anything but ASCII letters, digits and <c>_</c> is <c>_</c>.</summary>
    public static string Sanitize(string stem)
    {
        if (stem.Length == 0)
        {
            return "_";
        }

        var builder = new StringBuilder(stem.Length);
        foreach (var c in stem)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.ToString();
    }

    private string AddTensor(string stem, TensorProto.Types.DataType type, byte[] bytes, ReadOnlySpan<long> dims)
    {
        var tensor = new TensorProto { Name = Unique(stem), DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(bytes) };
        foreach (var dim in dims)
        {
            tensor.Dims.Add(dim);
        }

        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }
}
