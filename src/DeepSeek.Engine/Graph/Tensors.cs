using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
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

        return Read<float>(tensor, model);
    }

    /// <summary>The values of an int64 tensor.</summary>
    public static long[] ReadInt64s(TensorProto tensor, OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(model);
        return Read<long>(tensor, model);
    }

    /// <summary>
    /// A tensor's values in one array: external data is read straight into it a chunk at a time (one copy, no byte array
    /// beside it, no 2 GB limit on the tensor's bytes); inline data is copied from the proto.
    /// </summary>
    private static T[] Read<T>(TensorProto tensor, OnnxModel model) where T : unmanaged
    {
        var directory = model.DataDirectoryOf(tensor);
        if (!ExternalDataInfo.IsExternal(tensor))
        {
            return tensor.HasRawData
                ? MemoryMarshal.Cast<byte, T>(tensor.RawData.Span).ToArray()
                : MemoryMarshal.Cast<byte, T>(TensorData.ReadBytes(tensor, directory, model.DisplayPath)).ToArray();
        }

        var elements = TensorData.Validate(tensor, directory, model.DisplayPath);
        if (elements > Array.MaxLength)
        {
            throw new DeepSeekException(DiagnosticIds.ModelTooLarge, model.DisplayPath,
                $"tensor {Names.Quote(tensor.Name)} holds {elements} elements, more than one array can", "split the tensor");
        }

        var values = GC.AllocateUninitializedArray<T>((int)elements);
        var done = 0;
        var buffer = new byte[ExternalDataFile.ChunkBytes]; // a whole number of elements of any size
        TensorData.ReadExternal(tensor, directory, model.DisplayPath, buffer, chunk =>
        {
            // A tensor past 2 GB is not one span of bytes: each chunk fills the next whole elements of the array.
            var count = chunk.Length / Unsafe.SizeOf<T>();
            chunk.CopyTo(MemoryMarshal.AsBytes(values.AsSpan(done, count)));
            done += count;
        });
        return values;
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
