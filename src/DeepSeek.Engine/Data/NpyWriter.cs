using System.Buffers.Binary;
using System.Text;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Data;

/// <summary>
/// Writes <see cref="TensorValue"/>s as NumPy <c>.npy</c> files, as <c>numpy.save</c> does: format 1.0 (2.0 only for a
/// header over 65,535 bytes), C order, little-endian, the header padded so that the data starts at a multiple of 64 bytes.
/// <c>numpy.load</c> and <see cref="NpyReader"/> read them back.
/// </summary>
public static class NpyWriter
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/>, replacing any file there.</summary>
    /// <exception cref="DeepSeekException">DSB0040 when the file cannot be written.</exception>
    public static void Write(string path, TensorValue value)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
            Write(stream, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepSeekException(DiagnosticIds.WriteFailed, path, e.Message);
        }
    }

    /// <summary>Writes <paramref name="value"/> in <c>.npy</c> format to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, TensorValue value)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(value);
        stream.Write(Header(value));
        var size = TensorValue.ElementSize(value.ElementType);
        var bytes = TensorValue.Bytes(value.Data, size);
        if (BitConverter.IsLittleEndian || size == 1)
        {
            stream.Write(bytes);
            return;
        }

        var copy = bytes.ToArray();
        TensorValue.FixUp(copy, value.ElementType, fileIsLittleEndian: false);
        stream.Write(copy);
    }

    /// <summary>The <c>.npy</c> bytes of <paramref name="value"/>.</summary>
    public static byte[] ToBytes(TensorValue value)
    {
        using var stream = new MemoryStream();
        Write(stream, value);
        return stream.ToArray();
    }

    /// <summary>The NumPy type string of a supported element type, for example <c>&lt;f4</c>.</summary>
    public static string Descr(int elementType) => (TensorProto.Types.DataType)elementType switch
    {
        TensorProto.Types.DataType.Float16 => "<f2",
        TensorProto.Types.DataType.Float => "<f4",
        TensorProto.Types.DataType.Double => "<f8",
        TensorProto.Types.DataType.Int8 => "|i1",
        TensorProto.Types.DataType.Int16 => "<i2",
        TensorProto.Types.DataType.Int32 => "<i4",
        TensorProto.Types.DataType.Int64 => "<i8",
        TensorProto.Types.DataType.Uint8 => "|u1",
        TensorProto.Types.DataType.Uint16 => "<u2",
        TensorProto.Types.DataType.Uint32 => "<u4",
        TensorProto.Types.DataType.Uint64 => "<u8",
        TensorProto.Types.DataType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "not an element type .npy files hold"),
    };

    private static byte[] Header(TensorValue value)
    {
        var dict = $"{{'descr': '{Descr(value.ElementType)}', 'fortran_order': False, 'shape': {NpyReader.ShapeTuple(value.Shape)}, }}";
        var version = 1;
        var prefix = 10;
        var padded = Padded(prefix, dict.Length);
        if (padded > ushort.MaxValue)
        {
            version = 2;
            prefix = 12;
            padded = Padded(prefix, dict.Length);
        }

        var header = new byte[prefix + padded];
        header[0] = 0x93;
        "NUMPY"u8.CopyTo(header.AsSpan(1));
        header[6] = (byte)version;
        header[7] = 0;
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)padded);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)padded);
        }

        var text = header.AsSpan(prefix);
        text.Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict, text);
        text[^1] = (byte)'\n';
        return header;
    }

    /// <summary>The header length (dict, spaces and the final newline) that makes the data start at a multiple of 64.</summary>
    private static int Padded(int prefix, int dictLength) => ((prefix + dictLength + 1 + 63) / 64 * 64) - prefix;
}
