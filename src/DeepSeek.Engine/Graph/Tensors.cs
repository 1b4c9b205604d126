using System.Runtime.InteropServices;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Graph;

/// <summary>Reading weights as numbers and writing new tensors, for the passes.</summary>
public static class Tensors
{
    /// <summary>The values of a float tensor (inline, typed or external).</summary>
    public static float[] ReadFloats(TensorProto tensor, OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(model);
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidOperationException($"tensor {tensor.Name} is {DataTypes.Name(tensor.DataType)}, not float");
        }

        return MemoryMarshal.Cast<byte, float>(TensorData.ReadBytes(tensor, model.BaseDirectory, model.DisplayPath)).ToArray();
    }

    /// <summary>The values of an int64 tensor.</summary>
    public static long[] ReadInt64s(TensorProto tensor, OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(model);
        return MemoryMarshal.Cast<byte, long>(TensorData.ReadBytes(tensor, model.BaseDirectory, model.DisplayPath)).ToArray();
    }

    /// <summary>A float tensor with raw data.</summary>
    public static TensorProto Float(ReadOnlySpan<float> values, params long[] dims)
        => Raw(TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims);

    /// <summary>An int64 tensor with raw data.</summary>
    public static TensorProto Int64(ReadOnlySpan<long> values, params long[] dims)
        => Raw(TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), dims);

    /// <summary>An int8 tensor with raw data.</summary>
    public static TensorProto Int8(ReadOnlySpan<sbyte> values, params long[] dims)
        => Raw(TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values), dims);

    /// <summary>A uint8 tensor with raw data.</summary>
    public static TensorProto UInt8(ReadOnlySpan<byte> values, params long[] dims)
        => Raw(TensorProto.Types.DataType.Uint8, values, dims);

    /// <summary>A float16 tensor with raw data.</summary>
    public static TensorProto Float16(ReadOnlySpan<Half> values, params long[] dims)
        => Raw(TensorProto.Types.DataType.Float16, MemoryMarshal.AsBytes(values), dims);

    /// <summary>A tensor of any fixed-size type from little-endian bytes.</summary>
    public static TensorProto Raw(TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, params long[] dims)
    {
        var tensor = new TensorProto { DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public static AttributeProto? Attribute(NodeProto node, string name)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Attribute.FirstOrDefault(a => a.Name == name);
    }

    /// <summary>An int attribute's value, or <paramref name="fallback"/>.</summary>
    public static long IntAttribute(NodeProto node, string name, long fallback) => Attribute(node, name)?.I ?? fallback;

    /// <summary>A float attribute's value, or <paramref name="fallback"/>.</summary>
    public static float FloatAttribute(NodeProto node, string name, float fallback) => Attribute(node, name) is { } a ? a.F : fallback;

    /// <summary>Removes every attribute named in <paramref name="names"/>.</summary>
    public static void RemoveAttributes(NodeProto node, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(names);
        for (var i = node.Attribute.Count - 1; i >= 0; i--)
        {
            if (names.Contains(node.Attribute[i].Name, StringComparer.Ordinal))
            {
                node.Attribute.RemoveAt(i);
            }
        }
    }

    /// <summary>Sets an int attribute (any attribute of that name is replaced).</summary>
    public static void SetInt(NodeProto node, string name, long value)
    {
        RemoveAttributes(node, name);
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
    }

    /// <summary>Sets a string attribute (any attribute of that name is replaced).</summary>
    public static void SetString(NodeProto node, string name, string value)
    {
        RemoveAttributes(node, name);
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });
    }
}
