using System.Text;
using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.DataFolders.DataFixtures;

namespace DeepSeek.Engine.Tests.DataFolders;

public sealed class NpyTests
{
    [Theory]
    [InlineData("float")]
    [InlineData("float16")]
    [InlineData("double")]
    [InlineData("int8")]
    [InlineData("uint8")]
    [InlineData("int16")]
    [InlineData("uint16")]
    [InlineData("int32")]
    [InlineData("uint32")]
    [InlineData("int64")]
    [InlineData("uint64")]
    [InlineData("bool")]
    public void Every_dtype_round_trips_through_writer_and_reader(string type)
    {
        switch (type)
        {
            case "float": RoundTrip(type, "<f4", new[] { 1.5f, -2.25f, 0f, float.MaxValue, float.Epsilon, float.NaN }, 2, 3); break;
            case "float16": RoundTrip(type, "<f2", new[] { (Half)1.5f, (Half)(-0.25f), Half.MaxValue, Half.Epsilon }, 4); break;
            case "double": RoundTrip(type, "<f8", new[] { Math.PI, -1e300, 0.1 }, 3, 1); break;
            case "int8": RoundTrip(type, "|i1", new sbyte[] { -128, -1, 0, 127 }, 2, 2); break;
            case "uint8": RoundTrip(type, "|u1", new byte[] { 0, 1, 128, 255 }, 1, 4); break;
            case "int16": RoundTrip(type, "<i2", new short[] { short.MinValue, -2, short.MaxValue }, 3); break;
            case "uint16": RoundTrip(type, "<u2", new ushort[] { 0, 40000, ushort.MaxValue }, 3); break;
            case "int32": RoundTrip(type, "<i4", new[] { int.MinValue, -7, 0, int.MaxValue }, 2, 1, 2); break;
            case "uint32": RoundTrip(type, "<u4", new[] { 0u, 3_000_000_000u }, 2); break;
            case "int64": RoundTrip(type, "<i8", new[] { long.MinValue, -3L, 1L << 40, long.MaxValue }, 4); break;
            case "uint64": RoundTrip(type, "<u8", new[] { 0UL, ulong.MaxValue }, 1, 2); break;
            case "bool": RoundTrip(type, "|b1", new[] { true, false, false, true, true, false }, 3, 2); break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    private static void RoundTrip<T>(string type, string descr, T[] data, params long[] shape) where T : unmanaged
    {
        using var temp = new TempDirectory();
        var path = WriteNpy(temp.File("a.npy"), data, shape);

        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLength) % 64); // the data starts at a multiple of 64, as numpy.save writes it
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith($"{{'descr': '{descr}', 'fortran_order': False, 'shape': {NpyReader.ShapeTuple(shape)}, }}", header, StringComparison.Ordinal);
        Assert.EndsWith(" \n", header, StringComparison.Ordinal);
        Assert.Equal(10 + headerLength + (data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()), bytes.Length);

        var value = NpyReader.Read(path);
        Assert.Equal(type, value.ElementTypeName);
        Assert.Equal(shape, value.Shape);
        Assert.Equal(data, value.GetData<T>());
        Assert.Equal(data, NpyReader.Parse(bytes, "a.npy").GetData<T>());
    }

    [Fact]
    public void Scalars_and_one_dimensional_arrays_use_python_tuples()
    {
        using var temp = new TempDirectory();
        var scalar = NpyReader.Read(WriteNpy(temp.File("s.npy"), new[] { 42L }));
        Assert.Empty(scalar.Shape);
        Assert.Equal([42L], scalar.GetData<long>());
        Assert.Contains("'shape': (), }", File.ReadAllText(temp.File("s.npy")), StringComparison.Ordinal);

        var vector = NpyReader.Read(WriteNpy(temp.File("v.npy"), new[] { 1f, 2f, 3f }, 3));
        Assert.Equal([3L], vector.Shape);
        Assert.Contains("'shape': (3,), }", File.ReadAllText(temp.File("v.npy")), StringComparison.Ordinal);

        var empty = NpyReader.Read(WriteNpy(temp.File("e.npy"), Array.Empty<float>(), 0, 5));
        Assert.Equal([0L, 5L], empty.Shape);
        Assert.Empty(empty.GetData<float>());
    }

    [Theory]
    // numpy >= 1.23 leaves room for the shape to grow, then pads to 64 bytes
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }                                                          \n", 1)]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L), }\n", 1)] // Python 2
    [InlineData("{\"shape\": (2,2), \"fortran_order\": False, \"descr\": \"<f4\"}\n", 1)] // any key order, double quotes, no trailing comma
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n", 2)]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }  \n", 3)]
    public void Headers_as_numpy_writes_them_are_read(string header, int major)
    {
        var bytes = NpyBytes(header, Floats(1, 2, 3, 4), major);
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("a.npy"), bytes);

        var value = NpyReader.Read(temp.File("a.npy"));

        Assert.Equal([2L, 2L], value.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], value.GetData<float>());
    }

    [Fact]
    public void Big_endian_arrays_are_swapped_and_bool_bytes_are_normalized()
    {
        byte[] bigEndian = [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 0x01, 0x02, 0x03, 0x04];
        var ints = NpyReader.Parse(NpyBytes("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }\n", bigEndian), "be.npy");
        Assert.Equal([1, -2, 0x01020304], ints.GetData<int>());

        var bools = NpyReader.Parse(NpyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }\n", [0, 1, 2, 255]), "b.npy");
        Assert.Equal([false, true, true, true], bools.GetData<bool>());
        Assert.Equal([0f, 1f, 1f, 1f], bools.ToFloatArray());
    }

    [Fact]
    public void ToFloatArray_converts_every_type()
    {
        Assert.Equal([1.5f, -2f], TensorValue.Create(new[] { (Half)1.5f, (Half)(-2f) }, 2).ToFloatArray());
        Assert.Equal([0.1f, 3f], TensorValue.Create(new[] { 0.1, 3.0 }, 2).ToFloatArray());
        Assert.Equal([-5f, 7f], TensorValue.Create(new[] { -5L, 7L }, 2).ToFloatArray());
        Assert.Equal([-128f, 127f], TensorValue.Create(new sbyte[] { -128, 127 }, 2).ToFloatArray());
        Assert.Equal([255f], TensorValue.Create(new byte[] { 255 }, 1).ToFloatArray());
        Assert.Equal([4e9f], TensorValue.Create(new[] { 4_000_000_000u }, 1).ToFloatArray());
        Assert.Equal([65535f], TensorValue.Create(new ushort[] { 65535 }, 1).ToFloatArray());
        Assert.Equal([1.8446744e19f], TensorValue.Create(new[] { ulong.MaxValue }, 1).ToFloatArray());
        Assert.Equal([0f, 1f], TensorValue.Create(new[] { false, true }, 2).ToFloatArray());

        // A byte[] passes for an sbyte[] at run time; the element type decides.
        Assert.Throws<InvalidOperationException>(() => TensorValue.Create(new byte[] { 1 }, 1).GetData<sbyte>());
        Assert.Throws<ArgumentException>(() => new TensorValue(3, [1], new byte[] { 1 }));
        Assert.Throws<ArgumentException>(() => new TensorValue(1, [2, 2], new float[3]));
    }

    public static TheoryData<string, byte[]> MalformedFiles => new()
    {
        { "bad magic", Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip file, not an array") },
        { "text file", "x,y\n1,2\n"u8.ToArray() },
        { "empty file", [] },
        { "cut in the preamble", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1))[..9] },
        { "version 4", WithVersion(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1)), 4) },
        { "header longer than the file", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1))[..40] },
        { "header over the cap", HugeHeaderLength() },
        { "truncated data", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", Floats(1, 2, 3, 4, 5)) },
        { "trailing bytes", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1, 2)) },
        { "shape product overflows", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n", Floats(1)) },
        { "shape larger than the file", NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }\n", Floats(1, 2)) },
        { "dimension over 64 bits", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", Floats(1)) },
        { "negative dimension", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", Floats(1)) },
        { "fortran order", NpyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", Floats(1, 2, 3, 4)) },
        { "complex dtype", NpyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", Floats(1, 2)) },
        { "string dtype", NpyBytes("{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }\n", Floats(1)) },
        { "object dtype", NpyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", new byte[8]) },
        { "no byte order for float", NpyBytes("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1)) },
        { "structured dtype", NpyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", Floats(1)) },
        { "missing shape", NpyBytes("{'descr': '<f4', 'fortran_order': False, }\n", Floats(1)) },
        { "unknown key", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1, }\n", Floats(1)) },
        { "key given twice", NpyBytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1)) },
        { "not a dict", NpyBytes("['<f4', False, (1,)]\n", Floats(1)) },
        { "text after the dict", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x\n", Floats(1)) },
        { "unterminated string", NpyBytes("{'descr': '<f4\n", Floats(1)) },
        { "broken quoting", NpyBytes("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }\n", Floats(1)) },
        { "too many dimensions", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (" + string.Concat(Enumerable.Repeat("1, ", 65)) + "), }\n", Floats(1)) },
        { "invalid utf-8 in version 3", Corrupt(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1), 3), 14, 0xFF) },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void Malformed_files_are_DSB0052_without_allocating_what_they_declare(string name, byte[] bytes)
    {
        using var temp = new TempDirectory();
        var path = temp.File("bad.npy");
        File.WriteAllBytes(path, bytes);

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Fails("DSB0052", path, () => NpyReader.Read(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.True(allocated < 1 << 20, $"{name}: the reader allocated {allocated} bytes for a {bytes.Length}-byte file");
        Assert.Equal(e.Problem, Assert.Throws<DeepSeekException>(() => NpyReader.Parse(bytes, path)).Problem);
    }

    [Fact]
    public void Messages_say_what_is_wrong()
    {
        Assert.Equal("the shape (1000000000, 1000000000) of '<f8' needs 1000000000000000000 elements of 8 bytes but the file holds 8 bytes of data",
            Problem("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }\n", Floats(1, 2)));
        Assert.Equal("the shape (2, 3) of '<f4' needs 6 elements of 4 bytes but the file holds 20 bytes of data",
            Problem("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", Floats(1, 2, 3, 4, 5)));
        Assert.Equal("the shape (4294967296, 4294967296, 4294967296) has more than 2^62 elements",
            Problem("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n", Floats(1)));
        var fortran = Assert.Throws<DeepSeekException>(() => NpyReader.Parse(NpyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", Floats(1)), "f.npy"));
        Assert.Equal("error DSB0052: f.npy: the array is stored in Fortran order — save it in C order: numpy.save(path, numpy.ascontiguousarray(a))", fortran.ToErrorLine());
        Assert.Equal("dtype '<c8' is not read", Problem("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", Floats(1, 2)));
    }

    [Fact]
    public void Corrupted_and_truncated_files_give_only_DSB0052()
    {
        var good = NpyWriter.ToBytes(TensorValue.Create(ModelBuilder.Random(24, seed: 3), 2, 3, 4));
        for (var length = 0; length < good.Length; length++)
        {
            var e = Assert.Throws<DeepSeekException>(() => NpyReader.Parse(good.AsSpan(0, length), "cut.npy"));
            Assert.Equal("DSB0052", e.Id);
        }

        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])good.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(0, 128)] = (byte)random.Next(256);
            }

            try
            {
                NpyReader.Parse(bytes, "fuzz.npy");
            }
            catch (DeepSeekException e)
            {
                Assert.Equal("DSB0052", e.Id);
            }
        }
    }

    [Fact]
    public void A_missing_file_is_DSB0007()
    {
        using var temp = new TempDirectory();
        Fails("DSB0007", temp.File("none.npy"), () => NpyReader.Read(temp.File("none.npy")));
    }

    private static string Problem(string header, byte[] data)
        => Assert.Throws<DeepSeekException>(() => NpyReader.Parse(NpyBytes(header, data), "x.npy")).Problem;

    private static byte[] WithVersion(byte[] bytes, byte major)
    {
        bytes[6] = major;
        return bytes;
    }

    private static byte[] HugeHeaderLength()
    {
        var bytes = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", Floats(1), 2);
        BitConverter.GetBytes(100_000u).CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] Corrupt(byte[] bytes, int index, byte value)
    {
        bytes[index] = value;
        return bytes;
    }
}
