using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepSeek.Engine.Runtime;

/// <summary>Conversions between <see cref="TensorValue"/> and ONNX Runtime's <see cref="OrtValue"/>.</summary>
internal static class OrtValues
{
    /// <summary>An OrtValue over the tensor's array (pinned, no copy).</summary>
    public static OrtValue ToOrt(TensorValue value)
    {
        var shape = value.Shape.ToArray();
        // Switch on the element type, not the array's runtime type: the CLR lets a ulong[] pass as long[] and sbyte[] as byte[].
        return (TensorProto.Types.DataType)value.ElementType switch
        {
            TensorProto.Types.DataType.Float => OrtValue.CreateTensorValueFromMemory(value.GetData<float>(), shape),
            TensorProto.Types.DataType.Double => OrtValue.CreateTensorValueFromMemory(value.GetData<double>(), shape),
            TensorProto.Types.DataType.Int64 => OrtValue.CreateTensorValueFromMemory(value.GetData<long>(), shape),
            TensorProto.Types.DataType.Int32 => OrtValue.CreateTensorValueFromMemory(value.GetData<int>(), shape),
            TensorProto.Types.DataType.Int16 => OrtValue.CreateTensorValueFromMemory(value.GetData<short>(), shape),
            TensorProto.Types.DataType.Uint16 => OrtValue.CreateTensorValueFromMemory(value.GetData<ushort>(), shape),
            TensorProto.Types.DataType.Uint32 => OrtValue.CreateTensorValueFromMemory(value.GetData<uint>(), shape),
            TensorProto.Types.DataType.Uint64 => OrtValue.CreateTensorValueFromMemory(value.GetData<ulong>(), shape),
            TensorProto.Types.DataType.Uint8 => OrtValue.CreateTensorValueFromMemory(value.GetData<byte>(), shape),
            TensorProto.Types.DataType.Int8 => OrtValue.CreateTensorValueFromMemory(value.GetData<sbyte>(), shape),
            TensorProto.Types.DataType.Bool => OrtValue.CreateTensorValueFromMemory(value.GetData<bool>(), shape),
            TensorProto.Types.DataType.Float16 => OrtValue.CreateTensorValueFromMemory(value.GetData<Half>().Select(h => new Float16(BitConverter.HalfToUInt16Bits(h))).ToArray(), shape),
            _ => throw new NotSupportedException($"{value.ElementTypeName} tensors"),
        };
    }

    /// <summary>A managed copy of an output tensor.</summary>
    public static TensorValue FromOrt(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => new TensorValue((int)TensorProto.Types.DataType.Float, shape, value.GetTensorDataAsSpan<float>().ToArray()),
            TensorElementType.Double => new TensorValue((int)TensorProto.Types.DataType.Double, shape, value.GetTensorDataAsSpan<double>().ToArray()),
            TensorElementType.Int64 => new TensorValue((int)TensorProto.Types.DataType.Int64, shape, value.GetTensorDataAsSpan<long>().ToArray()),
            TensorElementType.Int32 => new TensorValue((int)TensorProto.Types.DataType.Int32, shape, value.GetTensorDataAsSpan<int>().ToArray()),
            TensorElementType.UInt8 => new TensorValue((int)TensorProto.Types.DataType.Uint8, shape, value.GetTensorDataAsSpan<byte>().ToArray()),
            TensorElementType.Int8 => new TensorValue((int)TensorProto.Types.DataType.Int8, shape, value.GetTensorDataAsSpan<sbyte>().ToArray()),
            TensorElementType.Bool => new TensorValue((int)TensorProto.Types.DataType.Bool, shape, value.GetTensorDataAsSpan<bool>().ToArray()),
            TensorElementType.Int16 => new TensorValue((int)TensorProto.Types.DataType.Int16, shape, value.GetTensorDataAsSpan<short>().ToArray()),
            TensorElementType.UInt16 => new TensorValue((int)TensorProto.Types.DataType.Uint16, shape, value.GetTensorDataAsSpan<ushort>().ToArray()),
            TensorElementType.UInt32 => new TensorValue((int)TensorProto.Types.DataType.Uint32, shape, value.GetTensorDataAsSpan<uint>().ToArray()),
            TensorElementType.UInt64 => new TensorValue((int)TensorProto.Types.DataType.Uint64, shape, value.GetTensorDataAsSpan<ulong>().ToArray()),
            // Tensor values hold no bfloat16: widened to float32, which is exact (bfloat16 is float32's upper 16 bits).
            TensorElementType.BFloat16 => new TensorValue((int)TensorProto.Types.DataType.Float, shape,
                value.GetTensorDataAsSpan<BFloat16>().ToArray().Select(b => BitConverter.Int32BitsToSingle(b.value << 16)).ToArray()),
            TensorElementType.Float16 => new TensorValue((int)TensorProto.Types.DataType.Float16, shape,
                value.GetTensorDataAsSpan<Float16>().ToArray().Select(f => BitConverter.UInt16BitsToHalf(f.value)).ToArray()),
            _ => throw new NotSupportedException($"{info.ElementDataType} outputs"),
        };
    }
}
