using System.Text;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Data;

/// <summary>
/// One serialized <c>onnx.TensorProto</c> file, as the ONNX test-data layout keeps them (<c>input_0.pb</c>,
/// <c>output_0.pb</c>). The file is untrusted: its data must agree with its dims before anything is allocated, and every
/// problem is a <see cref="DeepSeekException"/> (DSB0055; DSB0007 when the system refuses the read).
/// </summary>
public sealed class TensorProtoFile
{
    /// <summary>The largest file read (the protobuf limit, 2 GB).</summary>
    public const long MaxFileBytes = int.MaxValue;

    private TensorProtoFile(string name, TensorValue value)
    {
        Name = name;
        Value = value;
    }

    /// <summary>The tensor's name; empty when the file does not set one.</summary>
    public string Name { get; }

    /// <summary>The tensor.</summary>
    public TensorValue Value { get; }

    /// <summary>Reads the file at <paramref name="path"/>, also the name used in messages.</summary>
    /// <exception cref="DeepSeekException">DSB0055 for a malformed or unsupported tensor; DSB0007 when it cannot be read.</exception>
    public static TensorProtoFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
            {
                throw Malformed(path, $"the file is {length} bytes, over the 2 GB protobuf limit");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepSeekException(DiagnosticIds.ReadFailed, path, e.Message);
        }

        return Parse(bytes, path);
    }

    /// <summary>Reads a serialized <c>TensorProto</c> held in memory; <paramref name="displayPath"/> names it in messages.</summary>
    /// <exception cref="DeepSeekException">DSB0055 for a malformed or unsupported tensor.</exception>
    public static TensorProtoFile Parse(ReadOnlySpan<byte> bytes, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(displayPath);
        TensorProto tensor;
        try
        {
            // Parsing a span bounds every length-delimited field by the bytes actually present.
            tensor = TensorProto.Parser.ParseFrom(bytes);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or ArgumentException or InvalidOperationException
            or OverflowException or IndexOutOfRangeException or FormatException or DecoderFallbackException)
        {
            throw Malformed(displayPath, $"the bytes are not a serialized TensorProto ({e.Message.TrimEnd('.')})");
        }

        return new TensorProtoFile(tensor.Name, ToValue(tensor, displayPath));
    }

    /// <summary>
    /// The data of a parsed tensor as a <see cref="TensorValue"/>, after checking its type, dims and data (<paramref name="file"/>
    /// names it in messages). Tensors with external data are refused.
    /// </summary>
    /// <exception cref="DeepSeekException">DSB0055.</exception>
    public static TensorValue ToValue(TensorProto tensor, string file)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(file);
        if (!DataTypes.IsKnown(tensor.DataType))
        {
            throw Malformed(file, $"tensor {Names.Quote(tensor.Name)} has data type {tensor.DataType} ({DataTypes.Name(tensor.DataType)})");
        }

        if (!TensorValue.IsSupported(tensor.DataType))
        {
            throw Malformed(file, $"tensor {Names.Quote(tensor.Name)} holds {DataTypes.Name(tensor.DataType)} elements, which data folders do not hold",
                "give the data as float, float16, double, int8-int64, uint8-uint64 or bool");
        }

        if (ExternalDataInfo.IsExternal(tensor))
        {
            throw Malformed(file, $"tensor {Names.Quote(tensor.Name)} keeps its data in an external file, which data folders do not read",
                "save the tensor with its data inline (raw_data)");
        }

        byte[] bytes;
        try
        {
            // Validates dims (non-negative, product <= 2^62) and the data's size against them before allocating.
            bytes = TensorData.ReadBytes(tensor, null, file);
        }
        catch (DeepSeekException e)
        {
            throw Malformed(file, e.Problem);
        }
        catch (OverflowException)
        {
            throw Malformed(file, $"tensor {Names.Quote(tensor.Name)} declares dims [{string.Join(",", tensor.Dims)}], whose size in bytes overflows");
        }

        return TensorValue.FromLittleEndian(tensor.DataType, tensor.Dims, bytes);
    }

    private static DeepSeekException Malformed(string file, string problem, string? action = null)
        => new(DiagnosticIds.MalformedTensorFile, file, problem, action);
}
