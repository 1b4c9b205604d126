using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Tests.DataFolders;

/// <summary>Writes data-folder fixtures (.npy and .pb files) and checks diagnostics.</summary>
internal static partial class DataFixtures
{
    public const int F32 = (int)TensorProto.Types.DataType.Float;
    public const int F64 = (int)TensorProto.Types.DataType.Double;
    public const int I64 = (int)TensorProto.Types.DataType.Int64;
    public const int I32 = (int)TensorProto.Types.DataType.Int32;

    /// <summary>A tensor input; dims are ints (fixed) or strings (symbolic).</summary>
    public static ValueInfo Input(string name, int elementType, params object[] dims)
        => new(name, ValueKind.Tensor, elementType, dims.Select(d => d is string s
            ? new Dimension(null, s)
            : new Dimension(Convert.ToInt64(d, CultureInfo.InvariantCulture), null)).ToArray());

    public static string WriteNpy<T>(string path, T[] data, params long[] shape) where T : unmanaged
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NpyWriter.Write(path, TensorValue.Create(data, shape));
        return path;
    }

    public static string WritePb(string path, TensorProto tensor)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, tensor.ToByteArray());
        return path;
    }

    /// <summary>A TensorProto with raw_data, as onnx.numpy_helper.from_array writes it.</summary>
    public static TensorProto RawTensor<T>(string name, int dataType, T[] data, params long[] dims) where T : unmanaged
    {
        var tensor = new TensorProto { Name = name, DataType = dataType };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        return tensor;
    }

    /// <summary>A .npy file with a header written by hand (as NumPy or another writer may write it).</summary>
    public static byte[] NpyBytes(string header, byte[] data, int major = 1)
    {
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(header);
        var prefix = major == 1 ? 10 : 12;
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.Add((byte)major);
        bytes.Add(0);
        bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)text.Length) : BitConverter.GetBytes((uint)text.Length));
        Assert.Equal(prefix, bytes.Count);
        bytes.AddRange(text);
        bytes.AddRange(data);
        return [.. bytes];
    }

    public static byte[] Floats(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Asserts that <paramref name="action"/> fails with <paramref name="id"/> on one well-formed line about <paramref name="file"/>.</summary>
    public static DeepSeekException Fails(string id, string file, Action action)
    {
        var e = Assert.Throws<DeepSeekException>(action);
        Assert.True(id == e.Id, $"expected {id}, got: {e.ToErrorLine()}");
        Assert.Equal(file, e.File);
        var line = e.ToErrorLine();
        Assert.Matches(ErrorLine(), line);
        Assert.StartsWith($"error {id}: {file}: ", line, StringComparison.Ordinal);
        return e;
    }

    [GeneratedRegex(@"^error DSB\d{4}: [^\r\n]+: [^\r\n]+ — [^\r\n]+$")]
    private static partial Regex ErrorLine();
}
