using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Validation;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>The engine refuses weights that hold NaN or infinity (DSB0023) before any pass, and writes nothing.</summary>
public sealed class NonFiniteWeightsTests
{
    public static TheoryData<int, string, WeightStorage> TypesAndStorages()
    {
        var data = new TheoryData<int, string, WeightStorage>();
        foreach (var (type, name) in new[] { (1, "float"), (10, "float16"), (16, "bfloat16"), (11, "double") })
        {
            foreach (var storage in Enum.GetValues<WeightStorage>())
            {
                data.Add(type, name, storage);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndStorages))]
    public void Compress_refuses_nan_and_infinity_in_every_float_type_and_storage(int dataType, string typeName, WeightStorage storage)
    {
        using var temp = new TempDirectory();
        var model = NonFiniteModels.Save(temp.Path, dataType, storage);
        var before = Directory.GetFiles(temp.Path).ToDictionary(f => f, File.ReadAllBytes);
        var output = temp.File("out.onnx");

        var e = Assert.Throws<DeepSeekException>(() => Compressor.Run(new CompressionRequest
        {
            Input = model,
            Output = output,
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = "int8-dynamic",
        }));

        Assert.Equal("DSB0023", e.Id);
        Assert.Equal(model, e.File);
        var where = storage == WeightStorage.External ? "external data in 'w.bin'" : "initializer";
        Assert.Equal($"tensor 'w' ({typeName}[4,2], {where}) holds 2 NaN and 2 infinities among its 8 values", e.Problem);
        Assert.Equal(DiagnosticIds.NonFiniteWeights.Action, e.Action);
        Assert.False(File.Exists(output));
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(temp.Path).Order()); // no temporary file left either
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }

    [Fact]
    public void The_same_model_with_finite_weights_compresses()
    {
        using var temp = new TempDirectory();
        var model = NonFiniteModels.Save(temp.Path, 1, WeightStorage.Raw, [0.5, -1, 2, 0.25, 3, -4, 1e-3, -0.0]);
        Assert.Empty(FiniteWeights.Find(ModelReader.Read(model)));

        var report = Compressor.Run(new CompressionRequest
        {
            Input = model,
            Output = temp.File("out.onnx"),
            Profile = ProfileCatalog.BuiltIn.Get("x64-avx2"),
            Quantize = "fp16",
        });

        Assert.True(File.Exists(temp.File("out.onnx")));
        Assert.Equal("fp16", report.Recipe);
    }

    [Fact]
    public void Every_tensor_is_counted_and_the_first_is_named()
    {
        using var temp = new TempDirectory();
        var builder = new ModelBuilder(irVersion: 8, opset: 13)
            .Input("x", 1, 4)
            .Initializer("a", [1, 2, 3, 4, 5, 6, 7, 8], 4, 2)
            .Initializer("b", [float.NaN, 1], 2, 1)
            .Constant("c", [float.PositiveInfinity, float.NaN, float.NegativeInfinity], 3)
            .Node("MatMul", ["x", "a"], ["h"])
            .Node("MatMul", ["h", "b"], ["y"])
            .Output("y", 1, 1);
        builder.Node("Constant", [], ["d"], "", new DeepSeek.Onnx.Protobuf.AttributeProto
        {
            Name = "value_floats",
            Type = DeepSeek.Onnx.Protobuf.AttributeProto.Types.AttributeType.Floats,
            Floats = { 1f, float.NegativeInfinity },
        });
        var model = ModelReader.Read(builder.Save(temp.File("m.onnx")));

        var found = FiniteWeights.Find(model);
        Assert.Equal(["b", "c", "d"], found.Select(t => t.Name));
        Assert.Equal([new NonFiniteCount(1, 0), new NonFiniteCount(1, 2), new NonFiniteCount(0, 1)], found.Select(t => t.Count));
        Assert.Equal("Constant node", found[1].Where);
        Assert.Equal("Constant node value_floats", found[2].Where);

        var e = Assert.Throws<DeepSeekException>(() => FiniteWeights.Check(model));
        Assert.Equal("tensor 'b' (float[2,1], initializer) holds 1 NaN among its 2 values; 2 more tensors hold 1 NaN and 3 infinities", e.Problem);
    }

    [Fact]
    public void External_data_is_read_in_chunks_and_values_on_chunk_edges_are_counted()
    {
        using var temp = new TempDirectory();
        const int Count = 1_500_000; // 6 MB of float32, about six chunks
        var values = new double[Count];
        var perChunk = FiniteWeights.ChunkBytes / 4;
        int[] nan = [0, perChunk - 1, perChunk, (3 * perChunk) + 1, Count - 1];
        foreach (var i in nan)
        {
            values[i] = double.NaN;
        }

        values[300_000] = double.NegativeInfinity;
        var model = ModelReader.Read(NonFiniteModels.Save(temp.Path, 1, WeightStorage.External, values));

        FiniteWeights.Find(model); // warm up: the array pool's first chunk and the JIT are not what is measured
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var found = Assert.Single(FiniteWeights.Find(model));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(new NonFiniteCount(nan.Length, 1), found.Count);
        Assert.Equal(Count, found.Elements);
        Assert.True(allocated < 64 << 10, $"scanning a 6 MB external tensor allocated {allocated} bytes");
    }
}
