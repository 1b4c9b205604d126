using System.Buffers.Binary;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Testing;

/// <summary>How a test weight keeps its values.</summary>
public enum WeightStorage
{
    /// <summary>Little-endian bytes in <c>raw_data</c>.</summary>
    Raw,
    /// <summary>The typed field: <c>float_data</c>, <c>double_data</c>, or <c>int32_data</c> for 16-bit floats.</summary>
    Typed,
    /// <summary>An external data file beside the model, <c>w.bin</c>, at a non-zero offset.</summary>
    External,
}

/// <summary>
/// Small valid models whose one weight <c>w</c> (4x2, any floating-point type, any storage) holds given values, for the
/// engine's refusal of NaN and infinity (DSB0023): <c>y = x · float(w)</c>.
/// </summary>
public static class NonFiniteModels
{
    /// <summary>Two NaN (both signs) and two infinities (both signs) among eight values.</summary>
    public static readonly double[] TwoNaNTwoInfinities = [0.5, double.NaN, -1, double.PositiveInfinity, 2, double.NegativeInfinity, -double.NaN, 0.25];

    /// <summary>Writes <c>model.onnx</c> (and <c>w.bin</c> for external storage) into <paramref name="folder"/>; returns the model's path.</summary>
    public static string Save(string folder, int dataType, WeightStorage storage, double[]? values = null)
    {
        values ??= TwoNaNTwoInfinities;
        var w = new TensorProto { Name = "w", DataType = dataType };
        w.Dims.AddRange([4, values.Length / 4]);
        switch (storage)
        {
            case WeightStorage.Raw:
                w.RawData = ByteString.CopyFrom(Encode(values, dataType));
                break;
            case WeightStorage.Typed when dataType == 1:
                w.FloatData.AddRange(values.Select(v => (float)v));
                break;
            case WeightStorage.Typed when dataType == 11:
                w.DoubleData.AddRange(values);
                break;
            case WeightStorage.Typed:
                var bytes = Encode(values, dataType);
                w.Int32Data.AddRange(Enumerable.Range(0, values.Length).Select(i => (int)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2))));
                break;
            case WeightStorage.External:
                var data = Encode(values, dataType);
                File.WriteAllBytes(Path.Combine(folder, "w.bin"), [.. new byte[16], .. data]);
                w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
                w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "16" });
                w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                w.DataLocation = TensorProto.Types.DataLocation.External;
                break;
        }

        var builder = new ModelBuilder(irVersion: 8, opset: 13).Input("x", 1, 4).Output("y", 1, values.Length / 4);
        builder.Graph.Initializer.Add(w);
        if (dataType == 1)
        {
            builder.Node("MatMul", ["x", "w"], ["y"]);
        }
        else
        {
            builder.Node("Cast", ["w"], ["wf"], "", new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = 1 })
                .Node("MatMul", ["x", "wf"], ["y"]);
        }

        return builder.Save(Path.Combine(folder, "model.onnx"));
    }

    /// <summary>The values as little-endian bytes of <paramref name="dataType"/> (float, float16, double, bfloat16).</summary>
    public static byte[] Encode(IReadOnlyList<double> values, int dataType)
    {
        var size = dataType switch { 1 => 4, 10 or 16 => 2, 11 => 8, _ => throw new ArgumentOutOfRangeException(nameof(dataType)) };
        var bytes = new byte[values.Count * size];
        for (var i = 0; i < values.Count; i++)
        {
            var span = bytes.AsSpan(i * size);
            switch (dataType)
            {
                case 1:
                    BinaryPrimitives.WriteSingleLittleEndian(span, (float)values[i]);
                    break;
                case 10:
                    BinaryPrimitives.WriteHalfLittleEndian(span, (Half)values[i]);
                    break;
                case 16:
                    // bfloat16 is the high half of a float32 (truncated; NaN and infinity keep their exponent).
                    BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(BitConverter.SingleToUInt32Bits((float)values[i]) >> 16));
                    break;
                default:
                    BinaryPrimitives.WriteDoubleLittleEndian(span, values[i]);
                    break;
            }
        }

        return bytes;
    }
}
