using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Data;

/// <summary>
/// Reads NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) into <see cref="TensorValue"/>s. The files are untrusted:
/// the header is capped at <see cref="MaxHeaderLength"/> bytes, its shape is checked against the bytes the file really holds
/// before anything is allocated, and every problem is a <see cref="DeepSeekException"/> (DSB0052; DSB0007 when the system
/// refuses the read).
/// </summary>
/// <remarks>
/// Dtypes read: <c>f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1</c>, little-endian (<c>&lt;</c>) or big-endian (<c>&gt;</c>; 1-byte
/// types also <c>|</c>). Fortran-ordered arrays, structured dtypes, strings, objects and complex numbers are refused.
/// </remarks>
public static class NpyReader
{
    /// <summary>The longest header read, in bytes (NumPy itself refuses headers over 10,000 bytes by default).</summary>
    public const int MaxHeaderLength = 1 << 16;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the <c>.npy</c> file at <paramref name="path"/>, also the name used in messages.</summary>
    /// <exception cref="DeepSeekException">DSB0052 for a malformed or unsupported file; DSB0007 when it cannot be read.</exception>
    public static TensorValue Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            var start = new byte[(int)Math.Min(length, 12 + MaxHeaderLength)];
            ReadExactly(handle, start, 0, path);
            var header = ParseHeader(start, length, path);
            var data = TensorValue.Allocate(header.ElementType, (int)header.Elements);
            var bytes = TensorValue.Bytes(data, TensorValue.ElementSize(header.ElementType));
            ReadExactly(handle, bytes, header.DataOffset, path);
            TensorValue.FixUp(bytes, header.ElementType, header.LittleEndian);
            return new TensorValue(header.ElementType, header.Shape, data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepSeekException(DiagnosticIds.ReadFailed, path, e.Message);
        }
    }

    /// <summary>Reads a <c>.npy</c> file held in memory; <paramref name="displayPath"/> names it in messages.</summary>
    /// <exception cref="DeepSeekException">DSB0052 for malformed or unsupported bytes.</exception>
    public static TensorValue Parse(ReadOnlySpan<byte> bytes, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(displayPath);
        var header = ParseHeader(bytes[..Math.Min(bytes.Length, 12 + MaxHeaderLength)], bytes.Length, displayPath);
        var data = TensorValue.Allocate(header.ElementType, (int)header.Elements);
        var target = TensorValue.Bytes(data, TensorValue.ElementSize(header.ElementType));
        bytes.Slice(header.DataOffset, target.Length).CopyTo(target);
        TensorValue.FixUp(target, header.ElementType, header.LittleEndian);
        return new TensorValue(header.ElementType, header.Shape, data);
    }

    private static void ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[read..], offset + read);
            if (n == 0)
            {
                throw Malformed(path, $"the file ended after {offset + read} bytes while being read");
            }

            read += n;
        }
    }

    /// <summary>What a header declares, checked against the file's real length.</summary>
    private sealed record Header(int ElementType, bool LittleEndian, long[] Shape, long Elements, int DataOffset);

    /// <summary>
    /// Parses the magic, version and header of a file of <paramref name="fileLength"/> bytes from its first bytes
    /// (<paramref name="start"/>, at least 12 + <see cref="MaxHeaderLength"/> of them when the file is that long).
    /// </summary>
    private static Header ParseHeader(ReadOnlySpan<byte> start, long fileLength, string path)
    {
        if (start.Length < 10 || !start[..6].SequenceEqual(Magic))
        {
            throw Malformed(path, start.Length >= 6 && start[..6].SequenceEqual(Magic)
                ? $"the file ends inside its .npy preamble ({fileLength} bytes)"
                : "the file does not start with the .npy magic '\\x93NUMPY'", "pass a file written by numpy.save");
        }

        int major = start[6], minor = start[7];
        int prefix;
        long headerLength;
        switch (major)
        {
            case 1:
                prefix = 10;
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(start[8..]);
                break;
            case 2 or 3:
                if (start.Length < 12)
                {
                    throw Malformed(path, $"the file ends inside its .npy preamble ({fileLength} bytes)");
                }

                prefix = 12;
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian(start[8..]);
                break;
            default:
                throw Malformed(path, $"the file is .npy format version {major}.{minor}; versions 1.0, 2.0 and 3.0 are read",
                    "save the array with numpy.save from a NumPy release that writes format 1.0 to 3.0");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Malformed(path, $"the header declares {headerLength} bytes, more than the {MaxHeaderLength} read");
        }

        if (prefix + headerLength > fileLength)
        {
            throw Malformed(path, $"the header declares {headerLength} bytes but the file ends after {fileLength}");
        }

        string text;
        try
        {
            var headerBytes = start.Slice(prefix, (int)headerLength);
            text = major == 3 ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed(path, "the header is not valid UTF-8");
        }

        var (descr, fortranOrder, shape) = new HeaderParser(text, path).Parse();
        if (fortranOrder)
        {
            throw Malformed(path, "the array is stored in Fortran order", "save it in C order: numpy.save(path, numpy.ascontiguousarray(a))");
        }

        var (elementType, littleEndian) = Dtype(descr, path);
        long elements = 1;
        foreach (var d in shape)
        {
            if (d != 0 && elements > TensorData.MaxElements / d)
            {
                throw Malformed(path, $"the shape {ShapeTuple(shape)} has more than 2^62 elements");
            }

            elements *= d;
        }

        var dataOffset = prefix + (int)headerLength;
        var size = TensorValue.ElementSize(elementType);
        var present = fileLength - dataOffset;
        if (elements > present / size)
        {
            // Checked before anything is allocated: a declared shape never sizes an allocation by itself.
            throw Malformed(path, $"the shape {ShapeTuple(shape)} of {Names.Quote(descr)} needs {elements} elements of {size} bytes but the file holds {present} bytes of data");
        }

        if (elements * size != present)
        {
            throw Malformed(path, $"the file holds {present - (elements * size)} bytes more than the shape {ShapeTuple(shape)} of {Names.Quote(descr)} needs");
        }

        if (present > Array.MaxLength)
        {
            throw Malformed(path, $"the array holds {present} bytes, more than one .NET array can", "split it into several files");
        }

        return new Header(elementType, littleEndian, shape, elements, dataOffset);
    }

    /// <summary>The element type and byte order of a NumPy type string such as <c>&lt;f4</c>.</summary>
    private static (int ElementType, bool LittleEndian) Dtype(string descr, string path)
    {
        var elementType = descr.Length == 3 ? descr[1..] switch
        {
            "f2" => TensorProto.Types.DataType.Float16,
            "f4" => TensorProto.Types.DataType.Float,
            "f8" => TensorProto.Types.DataType.Double,
            "i1" => TensorProto.Types.DataType.Int8,
            "i2" => TensorProto.Types.DataType.Int16,
            "i4" => TensorProto.Types.DataType.Int32,
            "i8" => TensorProto.Types.DataType.Int64,
            "u1" => TensorProto.Types.DataType.Uint8,
            "u2" => TensorProto.Types.DataType.Uint16,
            "u4" => TensorProto.Types.DataType.Uint32,
            "u8" => TensorProto.Types.DataType.Uint64,
            "b1" => TensorProto.Types.DataType.Bool,
            _ => TensorProto.Types.DataType.Undefined,
        } : TensorProto.Types.DataType.Undefined;
        var order = descr.Length == 3 ? descr[0] : '\0';
        var oneByte = elementType is TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool;
        if (elementType == TensorProto.Types.DataType.Undefined || !(order is '<' or '>' || (order == '|' && oneByte)))
        {
            throw Malformed(path, $"dtype {Names.Quote(descr)} is not read",
                "save a numeric or bool array (float16/32/64, int8-64, uint8-64, bool) with numpy.save");
        }

        return ((int)elementType, order != '>');
    }

    internal static string ShapeTuple(IReadOnlyList<long> shape) => shape.Count == 1
        ? $"({shape[0].ToString(CultureInfo.InvariantCulture)},)"
        : "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";

    private static DeepSeekException Malformed(string path, string problem, string? action = null)
        => new(DiagnosticIds.MalformedNpy, path, problem, action);

    /// <summary>
    /// Parses the header, a Python dict literal such as <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>
    /// padded with spaces and a newline. Exactly the three keys are accepted, each once.
    /// </summary>
    private sealed class HeaderParser(string text, string path)
    {
        private int position;

        public (string Descr, bool FortranOrder, long[] Shape) Parse()
        {
            string? descr = null;
            bool? fortranOrder = null;
            long[]? shape = null;
            SkipSpace();
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                {
                    position++;
                    break;
                }

                var key = ParseString();
                SkipSpace();
                Expect(':');
                SkipSpace();
                switch (key)
                {
                    case "descr" when descr is null:
                        if (Peek() == '[')
                        {
                            throw Malformed(path, "the array has a structured dtype, which is not read",
                                "save each field as its own array with numpy.save");
                        }

                        descr = ParseString();
                        break;
                    case "fortran_order" when fortranOrder is null:
                        fortranOrder = ParseBool();
                        break;
                    case "shape" when shape is null:
                        shape = ParseShape();
                        break;
                    case "descr" or "fortran_order" or "shape":
                        throw Error($"the header gives {Names.Quote(key)} twice");
                    default:
                        throw Error($"the header has the unexpected key {Names.Quote(key)}");
                }

                SkipSpace();
                if (Peek() == ',')
                {
                    position++;
                    continue;
                }

                SkipSpace();
                Expect('}');
                break;
            }

            SkipSpace();
            if (position != text.Length)
            {
                throw Error($"the header has text after its closing '}}' at character {position}");
            }

            if (descr is null || fortranOrder is null || shape is null)
            {
                throw Error("the header lacks " + (descr is null ? "'descr'" : fortranOrder is null ? "'fortran_order'" : "'shape'"));
            }

            return (descr, fortranOrder.Value, shape);
        }

        private char Peek() => position < text.Length ? text[position] : '\0';

        private void SkipSpace()
        {
            while (position < text.Length && text[position] is ' ' or '\t' or '\n' or '\r')
            {
                position++;
            }
        }

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw Error($"the header lacks '{c}' at character {position}");
            }

            position++;
        }

        private string ParseString()
        {
            var quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Error($"the header has no quoted string at character {position}");
            }

            var end = text.IndexOf(quote, position + 1);
            if (end < 0)
            {
                throw Error("the header has an unterminated string");
            }

            var value = text[(position + 1)..end];
            if (value.Contains('\\', StringComparison.Ordinal))
            {
                throw Error("the header has an escaped string");
            }

            position = end + 1;
            return value;
        }

        private bool ParseBool()
        {
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
            {
                if (string.CompareOrdinal(text, position, word, 0, word.Length) == 0)
                {
                    position += word.Length;
                    return value;
                }
            }

            throw Error($"the header's 'fortran_order' is not True or False at character {position}");
        }

        private long[] ParseShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')')
                {
                    position++;
                    break;
                }

                if (dims.Count >= 64)
                {
                    throw Error("the shape has more than 64 dimensions");
                }

                var first = position;
                while (position < text.Length && char.IsAsciiDigit(text[position]))
                {
                    position++;
                }

                if (position == first || position - first > 19
                    || !long.TryParse(text.AsSpan(first, position - first), NumberStyles.None, CultureInfo.InvariantCulture, out var d))
                {
                    throw Error($"the shape has no non-negative integer at character {first}");
                }

                if (Peek() == 'L')
                {
                    position++; // Python 2 long literal
                }

                dims.Add(d);
                SkipSpace();
                if (Peek() == ',')
                {
                    position++;
                    continue;
                }

                Expect(')');
                break;
            }

            return [.. dims];
        }

        private DeepSeekException Error(string problem) => Malformed(path, problem);
    }
}
