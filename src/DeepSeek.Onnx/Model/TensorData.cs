using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Model;

/// <summary>
/// Sizes and bytes of tensors, checked against what the tensor declares before anything is allocated:
/// a model is untrusted input, so no allocation is ever sized by a declared length alone.
/// </summary>
public static class TensorData
{
    /// <summary>The most elements a tensor may declare (2^62), so that byte sizes never overflow.</summary>
    public const long MaxElements = 1L << 62;

    /// <summary>The number of elements the tensor's dims declare, checked for negative dims and overflow.</summary>
    /// <exception cref="DeepSeekException">DSB0020.</exception>
    public static long ElementCount(TensorProto tensor, string modelFile) => ElementCount(tensor.Dims, tensor.Name, modelFile);

    /// <summary>The number of elements that <paramref name="dims"/> declare, checked for negative dims and overflow.</summary>
    public static long ElementCount(IReadOnlyList<long> dims, string tensorName, string modelFile)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long count = 1;
        for (var i = 0; i < dims.Count; i++)
        {
            var d = dims[i];
            if (d < 0)
            {
                throw new DeepSeekException(DiagnosticIds.InvalidTensorDims, modelFile,
                    $"tensor {Names.Quote(tensorName)} declares dimension {i} as {d}");
            }

            if (d != 0 && count > MaxElements / d)
            {
                throw new DeepSeekException(DiagnosticIds.InvalidTensorDims, modelFile,
                    $"tensor {Names.Quote(tensorName)} declares dims [{string.Join(",", dims)}], whose product overflows");
            }

            count *= d;
        }

        return count;
    }

    /// <summary>
    /// Checks that a tensor's data agrees with its dims and type: the right number of bytes in <c>raw_data</c>,
    /// the right number of values in the typed field, or a well-formed external reference inside the model's folder
    /// whose range lies inside its file. Returns the element count.
    /// </summary>
    /// <exception cref="DeepSeekException">DSB0010-DSB0013, DSB0020-DSB0022.</exception>
    public static long Validate(TensorProto tensor, string? modelDirectory, string modelFile)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!DataTypes.IsKnown(tensor.DataType))
        {
            throw new DeepSeekException(DiagnosticIds.UnsupportedDataType, modelFile,
                $"tensor {Names.Quote(tensor.Name)} has data type {tensor.DataType} ({DataTypes.Name(tensor.DataType)})");
        }

        var elements = ElementCount(tensor, modelFile);
        if (tensor.Segment is not null)
        {
            // Segmented tensors carry only part of their data; ONNX Runtime rejects them too.
            throw new DeepSeekException(DiagnosticIds.TensorDataLengthMismatch, modelFile,
                $"tensor {Names.Quote(tensor.Name)} is stored in segments, which no runtime supports", "re-export the model without segments");
        }

        var bytesPerElement = DataTypes.BitsPerElement(tensor.DataType) / 8;
        if (bytesPerElement > 1 && elements > long.MaxValue / bytesPerElement)
        {
            throw new DeepSeekException(DiagnosticIds.InvalidTensorDims, modelFile,
                $"tensor {Names.Quote(tensor.Name)} declares dims [{string.Join(",", tensor.Dims)}], whose size in bytes overflows");
        }

        var expectedBytes = DataTypes.ByteSize(tensor.DataType, elements);
        if (ExternalDataInfo.IsExternal(tensor))
        {
            var info = ExternalDataInfo.Parse(tensor, modelFile);
            if (modelDirectory is null)
            {
                throw new DeepSeekException(DiagnosticIds.ExternalDataMissing, modelFile,
                    $"tensor {Names.Quote(tensor.Name)} keeps its data in an external file, but the model was not read from a folder");
            }

            var path = info.ResolvePath(modelDirectory, modelFile, tensor.Name);
            var fileLength = new FileInfo(path).Length;
            var length = info.Length ?? (fileLength - info.Offset);
            if (expectedBytes >= 0 && length != expectedBytes)
            {
                throw Mismatch(tensor, modelFile, $"{length} bytes of external data", $"{expectedBytes} bytes");
            }

            if (info.Offset > fileLength || length > fileLength - info.Offset)
            {
                throw new DeepSeekException(DiagnosticIds.ExternalDataOutOfRange, modelFile,
                    $"tensor {Names.Quote(tensor.Name)} reads bytes {info.Offset}..{info.Offset + length} of {Names.Quote(info.Location)}, which has {fileLength}");
            }

            return elements;
        }

        if (tensor.HasRawData)
        {
            if (expectedBytes < 0)
            {
                throw Mismatch(tensor, modelFile, "raw_data", "string_data (strings cannot be raw)");
            }

            if (tensor.RawData.Length != expectedBytes)
            {
                throw Mismatch(tensor, modelFile, $"{tensor.RawData.Length} bytes of raw_data", $"{expectedBytes} bytes");
            }

            return elements;
        }

        var (field, count) = TypedField(tensor);
        var expectedCount = ExpectedTypedCount(tensor.DataType, elements);
        if (count != expectedCount)
        {
            throw Mismatch(tensor, modelFile, $"{count} values in {field}", $"{expectedCount} values");
        }

        return elements;
    }

    /// <summary>
    /// The tensor's data as little-endian bytes, in the layout of <c>raw_data</c>, wherever the tensor keeps it.
    /// Call <see cref="Validate"/> first (the reader does); this method re-checks sizes before allocating.
    /// </summary>
    public static byte[] ReadBytes(TensorProto tensor, string? modelDirectory, string modelFile)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var elements = Validate(tensor, modelDirectory, modelFile);
        var size = DataTypes.ByteSize(tensor.DataType, elements);
        if (size < 0)
        {
            throw Mismatch(tensor, modelFile, "string data", "a numeric tensor");
        }

        if (size > Array.MaxLength)
        {
            throw new DeepSeekException(DiagnosticIds.ModelTooLarge, modelFile,
                $"tensor {Names.Quote(tensor.Name)} holds {size} bytes, more than one array can", "split the tensor");
        }

        if (ExternalDataInfo.IsExternal(tensor))
        {
            var buffer = GC.AllocateUninitializedArray<byte>((int)size);
            ReadExternal(tensor, modelDirectory, modelFile, buffer, static _ => { });
            return buffer;
        }

        if (tensor.HasRawData)
        {
            return tensor.RawData.ToByteArray();
        }

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        switch (tensor.DataType)
        {
            case 1 or 14:
                MemoryMarshal.AsBytes(CollectionSpan(tensor.FloatData)).CopyTo(span);
                break;
            case 11 or 15:
                MemoryMarshal.AsBytes(CollectionSpan(tensor.DoubleData)).CopyTo(span);
                break;
            case 7:
                MemoryMarshal.AsBytes(CollectionSpan(tensor.Int64Data)).CopyTo(span);
                break;
            case 12:
                for (var i = 0; i < tensor.Uint64Data.Count; i++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(span[(i * 4)..], (uint)tensor.Uint64Data[i]);
                }

                break;
            case 13:
                for (var i = 0; i < tensor.Uint64Data.Count; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(span[(i * 8)..], tensor.Uint64Data[i]);
                }

                break;
            default:
                WriteInt32Field(tensor, span);
                break;
        }

        return bytes;
    }

    /// <summary>Receives one chunk of a tensor's external data from <see cref="ReadExternal"/>.</summary>
    public delegate void ExternalChunk(ReadOnlySpan<byte> chunk);

    /// <summary>
    /// Reads an external tensor's data in order, <paramref name="buffer"/>'s length at a time (the last chunk may be
    /// shorter), and hands each chunk to <paramref name="chunk"/>: the whole tensor with a buffer of its size, or bounded
    /// memory with a smaller one. The file is opened once.
    /// </summary>
    /// <exception cref="DeepSeekException">DSB0011 when the model was not read from a folder; DSB0012 when the file ends early.</exception>
    public static void ReadExternal(TensorProto tensor, string? modelDirectory, string modelFile, Span<byte> buffer, ExternalChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(chunk);
        var info = ExternalDataInfo.Parse(tensor, modelFile);
        if (modelDirectory is null)
        {
            throw new DeepSeekException(DiagnosticIds.ExternalDataMissing, modelFile,
                $"tensor {Names.Quote(tensor.Name)} keeps its data in an external file, but the model was not read from a folder");
        }

        if (buffer.IsEmpty)
        {
            throw new ArgumentException("the buffer holds no bytes", nameof(buffer));
        }

        var size = DataTypes.ByteSize(tensor.DataType, ElementCount(tensor, modelFile));
        using var handle = File.OpenHandle(info.ResolvePath(modelDirectory, modelFile, tensor.Name), FileMode.Open, FileAccess.Read, FileShare.Read);
        for (long done = 0; done < size;)
        {
            var part = buffer[..(int)Math.Min(buffer.Length, size - done)];
            var read = 0;
            while (read < part.Length)
            {
                var n = RandomAccess.Read(handle, part[read..], info.Offset + done + read);
                if (n == 0)
                {
                    throw new DeepSeekException(DiagnosticIds.ExternalDataOutOfRange, modelFile,
                        $"tensor {Names.Quote(tensor.Name)}: {Names.Quote(info.Location)} ended after {done + read} of {size} bytes");
                }

                read += n;
            }

            chunk(part);
            done += part.Length;
        }
    }

    private static void WriteInt32Field(TensorProto tensor, Span<byte> span)
    {
        var values = tensor.Int32Data;
        switch (DataTypes.BitsPerElement(tensor.DataType))
        {
            case 32:
                MemoryMarshal.AsBytes(CollectionSpan(values)).CopyTo(span);
                break;
            case 16:
                for (var i = 0; i < values.Count; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(span[(i * 2)..], (ushort)values[i]);
                }

                break;
            case 8:
                for (var i = 0; i < values.Count; i++)
                {
                    span[i] = (byte)values[i];
                }

                break;
            case 4:
                // int32_data holds one 4-bit value per entry; raw_data packs two per byte, low nibble first.
                for (var i = 0; i < values.Count; i++)
                {
                    span[i / 2] |= (byte)((values[i] & 0xF) << (4 * (i % 2)));
                }

                break;
        }
    }

    private static ReadOnlySpan<T> CollectionSpan<T>(Google.Protobuf.Collections.RepeatedField<T> field) where T : struct
    {
        var array = new T[field.Count];
        field.CopyTo(array, 0);
        return array;
    }

    private static (string Field, long Count) TypedField(TensorProto tensor) => tensor.DataType switch
    {
        1 or 14 => ("float_data", tensor.FloatData.Count),
        11 or 15 => ("double_data", tensor.DoubleData.Count),
        7 => ("int64_data", tensor.Int64Data.Count),
        12 or 13 => ("uint64_data", tensor.Uint64Data.Count),
        8 => ("string_data", tensor.StringData.Count),
        _ => ("int32_data", tensor.Int32Data.Count),
    };

    private static long ExpectedTypedCount(int dataType, long elements) => dataType switch
    {
        14 or 15 => elements * 2,
        _ => elements,
    };

    private static DeepSeekException Mismatch(TensorProto tensor, string modelFile, string found, string expected)
        => new(DiagnosticIds.TensorDataLengthMismatch, modelFile,
            $"tensor {Names.Quote(tensor.Name)} ({DataTypes.Name(tensor.DataType)}[{string.Join(",", tensor.Dims)}]) holds {found} where its dims need {expected}");
}
