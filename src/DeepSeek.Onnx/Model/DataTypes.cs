using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Model;

/// <summary>Facts about ONNX tensor element types (<c>TensorProto.DataType</c>).</summary>
public static class DataTypes
{
    /// <summary>Whether <paramref name="dataType"/> is a defined element type this library knows (UNDEFINED is not).</summary>
    public static bool IsKnown(int dataType) => dataType is > 0 and <= (int)TensorProto.Types.DataType.Float4E2M1;

    /// <summary>The ONNX name in lower case (<c>float</c>, <c>int8</c>, <c>float16</c>...), or <c>type(N)</c> for an unknown one.</summary>
    public static string Name(int dataType) => dataType switch
    {
        1 => "float",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "double",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        17 => "float8e4m3fn",
        18 => "float8e4m3fnuz",
        19 => "float8e5m2",
        20 => "float8e5m2fnuz",
        21 => "uint4",
        22 => "int4",
        23 => "float4e2m1",
        0 => "undefined",
        _ => $"type({dataType})",
    };

    /// <summary>Bits per element; 0 for <c>string</c> (variable) and for unknown types.</summary>
    public static int BitsPerElement(int dataType) => dataType switch
    {
        1 or 6 or 12 => 32,
        2 or 3 or 9 or 17 or 18 or 19 or 20 => 8,
        4 or 5 or 10 or 16 => 16,
        7 or 11 or 13 or 14 => 64,
        15 => 128,
        21 or 22 or 23 => 4,
        _ => 0,
    };

    /// <summary>
    /// Bytes that <paramref name="elements"/> elements occupy in <c>raw_data</c> (4-bit types pack two per byte),
    /// or -1 for <c>string</c> and unknown types. Never overflows: callers pass a validated element count.
    /// </summary>
    public static long ByteSize(int dataType, long elements)
    {
        var bits = BitsPerElement(dataType);
        if (bits == 0)
        {
            return -1;
        }

        return bits == 4 ? (elements + 1) / 2 : checked(elements * (bits / 8));
    }
}
