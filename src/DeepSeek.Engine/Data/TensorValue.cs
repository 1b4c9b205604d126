using System.Collections.ObjectModel;
using System.Globalization;
using System.Runtime.InteropServices;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Data;

/// <summary>
/// A dense tensor of a data folder: its ONNX element type (<c>TensorProto.DataType</c>), its shape and its elements in
/// row-major (C) order, held in a typed array: <c>float[]</c> (float), <c>Half[]</c> (float16), <c>double[]</c>
/// (double), <c>sbyte[]</c> (int8), <c>byte[]</c> (uint8), <c>short[]</c> (int16), <c>ushort[]</c> (uint16),
/// <c>int[]</c> (int32), <c>uint[]</c> (uint32), <c>long[]</c> (int64), <c>ulong[]</c> (uint64) or <c>bool[]</c> (bool).
/// </summary>
public sealed class TensorValue
{
    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of <paramref name="elementType"/> and <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The element type is not supported, the array is not of its element type, or the
    /// shape has a negative dimension or does not give the array's length.</exception>
    public TensorValue(int elementType, IReadOnlyList<long> shape, Array data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        var clrType = ClrType(elementType)
            ?? throw new ArgumentException($"element type {DataTypes.Name(elementType)} is not supported", nameof(elementType));
        if (data.GetType() != clrType.MakeArrayType())
        {
            throw new ArgumentException($"a {DataTypes.Name(elementType)} tensor needs a {clrType.Name}[], not a {data.GetType().Name}", nameof(data));
        }

        var dims = shape.ToArray();
        long count = 1;
        foreach (var d in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count = checked(count * d);
        }

        if (count != data.LongLength)
        {
            throw new ArgumentException($"shape {FormatShape(dims)} holds {count} elements, the array {data.LongLength}", nameof(data));
        }

        ElementType = elementType;
        Shape = new ReadOnlyCollection<long>(dims);
        Data = data;
    }

    /// <summary>The ONNX element type (<c>TensorProto.DataType</c>: 1 float, 7 int64...).</summary>
    public int ElementType { get; }

    /// <summary>The element type's ONNX name (<c>float</c>, <c>int64</c>...).</summary>
    public string ElementTypeName => DataTypes.Name(ElementType);

    /// <summary>The dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The shape as text, for example <c>[1,3,224,224]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>The elements in row-major order, in the typed array that <see cref="ElementType"/> gives (see the class summary).</summary>
    public Array Data { get; }

    /// <summary>The number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The element types a tensor value can hold.</summary>
    public static IReadOnlyList<int> SupportedElementTypes { get; } =
    [
        (int)TensorProto.Types.DataType.Float, (int)TensorProto.Types.DataType.Float16, (int)TensorProto.Types.DataType.Double,
        (int)TensorProto.Types.DataType.Int8, (int)TensorProto.Types.DataType.Uint8, (int)TensorProto.Types.DataType.Int16,
        (int)TensorProto.Types.DataType.Uint16, (int)TensorProto.Types.DataType.Int32, (int)TensorProto.Types.DataType.Uint32,
        (int)TensorProto.Types.DataType.Int64, (int)TensorProto.Types.DataType.Uint64, (int)TensorProto.Types.DataType.Bool,
    ];

    /// <summary>Whether a tensor value can hold elements of <paramref name="elementType"/>.</summary>
    public static bool IsSupported(int elementType) => ClrType(elementType) is not null;

    /// <summary>A tensor over <paramref name="data"/> (not copied); the element type follows from <typeparamref name="T"/>.</summary>
    public static TensorValue Create<T>(T[] data, params long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var elementType = SupportedElementTypes.FirstOrDefault(t => ClrType(t) == typeof(T));
        if (elementType == 0)
        {
            throw new ArgumentException($"{typeof(T).Name} is not an element type a tensor value holds", nameof(data));
        }

        return new TensorValue(elementType, shape, data);
    }

    /// <summary>The elements as a <typeparamref name="T"/>[] (the array itself, not a copy).</summary>
    /// <exception cref="InvalidOperationException">The tensor holds another element type (signedness included: the runtime
    /// would let a <c>byte[]</c> pass for an <c>sbyte[]</c>, this method does not).</exception>
    public T[] GetData<T>() where T : unmanaged
        => Data.GetType() == typeof(T[])
            ? (T[])Data
            : throw new InvalidOperationException($"the tensor holds {ElementTypeName} elements ({Data.GetType().Name}), not {typeof(T).Name}");

    /// <summary>A copy of the elements converted to float (bool gives 0 and 1; float16 and double are rounded to float).</summary>
    public float[] ToFloatArray()
    {
        // By element type, not by array type: the runtime lets a byte[] pass for an sbyte[] (and uint[] for int[]...).
        var result = new float[Data.Length];
        switch ((TensorProto.Types.DataType)ElementType)
        {
            case TensorProto.Types.DataType.Float: ((float[])Data).CopyTo(result, 0); break;
            case TensorProto.Types.DataType.Float16: Convert((Half[])Data, result, v => (float)v); break;
            case TensorProto.Types.DataType.Double: Convert((double[])Data, result, v => (float)v); break;
            case TensorProto.Types.DataType.Int8: Convert((sbyte[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Uint8: Convert((byte[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Int16: Convert((short[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Uint16: Convert((ushort[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Int32: Convert((int[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Uint32: Convert((uint[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Int64: Convert((long[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Uint64: Convert((ulong[])Data, result, v => v); break;
            case TensorProto.Types.DataType.Bool: Convert((bool[])Data, result, v => v ? 1f : 0f); break;
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => ElementTypeName + ShapeText;

    internal static string FormatShape(IReadOnlyList<long> shape)
        => "[" + string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>The CLR element type for an ONNX element type, or null when tensor values do not hold it.</summary>
    internal static Type? ClrType(int elementType) => (TensorProto.Types.DataType)elementType switch
    {
        TensorProto.Types.DataType.Float => typeof(float),
        TensorProto.Types.DataType.Float16 => typeof(Half),
        TensorProto.Types.DataType.Double => typeof(double),
        TensorProto.Types.DataType.Int8 => typeof(sbyte),
        TensorProto.Types.DataType.Uint8 => typeof(byte),
        TensorProto.Types.DataType.Int16 => typeof(short),
        TensorProto.Types.DataType.Uint16 => typeof(ushort),
        TensorProto.Types.DataType.Int32 => typeof(int),
        TensorProto.Types.DataType.Uint32 => typeof(uint),
        TensorProto.Types.DataType.Int64 => typeof(long),
        TensorProto.Types.DataType.Uint64 => typeof(ulong),
        TensorProto.Types.DataType.Bool => typeof(bool),
        _ => null,
    };

    /// <summary>Bytes per element of a supported element type.</summary>
    internal static int ElementSize(int elementType) => DataTypes.BitsPerElement(elementType) / 8;

    /// <summary>A zeroed array of <paramref name="length"/> elements of a supported element type.</summary>
    internal static Array Allocate(int elementType, int length) => (TensorProto.Types.DataType)elementType switch
    {
        TensorProto.Types.DataType.Float => new float[length],
        TensorProto.Types.DataType.Float16 => new Half[length],
        TensorProto.Types.DataType.Double => new double[length],
        TensorProto.Types.DataType.Int8 => new sbyte[length],
        TensorProto.Types.DataType.Uint8 => new byte[length],
        TensorProto.Types.DataType.Int16 => new short[length],
        TensorProto.Types.DataType.Uint16 => new ushort[length],
        TensorProto.Types.DataType.Int32 => new int[length],
        TensorProto.Types.DataType.Uint32 => new uint[length],
        TensorProto.Types.DataType.Int64 => new long[length],
        TensorProto.Types.DataType.Uint64 => new ulong[length],
        TensorProto.Types.DataType.Bool => new bool[length],
        _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "unsupported element type"),
    };

    /// <summary>The bytes of a primitive array, in the machine's byte order.</summary>
    internal static Span<byte> Bytes(Array data, int elementSize)
        => MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(data), data.Length * elementSize);

    /// <summary>
    /// Makes freshly read file bytes valid elements in place: reverses each element's bytes when the file's byte order is
    /// not the machine's, and makes every non-zero bool byte exactly 1.
    /// </summary>
    internal static void FixUp(Span<byte> bytes, int elementType, bool fileIsLittleEndian)
    {
        var size = ElementSize(elementType);
        if (size > 1 && fileIsLittleEndian != BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < bytes.Length; i += size)
            {
                bytes.Slice(i, size).Reverse();
            }
        }

        if (elementType == (int)TensorProto.Types.DataType.Bool)
        {
            foreach (ref var b in bytes)
            {
                b = b == 0 ? (byte)0 : (byte)1;
            }
        }
    }

    /// <summary>A tensor from little-endian bytes in the layout of <c>raw_data</c>; the length must fit the shape.</summary>
    internal static TensorValue FromLittleEndian(int elementType, IReadOnlyList<long> shape, ReadOnlySpan<byte> bytes)
    {
        var size = ElementSize(elementType);
        var data = Allocate(elementType, bytes.Length / size);
        var target = Bytes(data, size);
        bytes.CopyTo(target);
        FixUp(target, elementType, fileIsLittleEndian: true);
        return new TensorValue(elementType, shape, data);
    }

    /// <summary>Elements <paramref name="start"/>..+<paramref name="length"/> as a new tensor of <paramref name="shape"/>.</summary>
    internal TensorValue Slice(int start, int length, IReadOnlyList<long> shape)
    {
        var data = Allocate(ElementType, length);
        Array.Copy(Data, start, data, 0, length);
        return new TensorValue(ElementType, shape, data);
    }

    /// <summary>A float32 copy of a double tensor (the one conversion data folders make).</summary>
    internal TensorValue DoubleToFloat()
    {
        var source = GetData<double>();
        var data = new float[source.Length];
        Convert(source, data, v => (float)v);
        return new TensorValue((int)TensorProto.Types.DataType.Float, Shape, data);
    }

    private static void Convert<T>(T[] source, float[] target, Func<T, float> convert)
    {
        for (var i = 0; i < source.Length; i++)
        {
            target[i] = convert(source[i]);
        }
    }
}
