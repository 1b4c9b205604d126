using System.Runtime.InteropServices;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Onnx.Tests;

/// <summary>
/// The weight store of large models (issue 14): <see cref="ExternalDataFile"/> writes tensors straight to an external-data file
/// at page-aligned offsets, so the model proto never holds their bytes; <see cref="ModelWriter"/> finishes such a file in place
/// and streams every other tensor into it a chunk at a time.
/// </summary>
public sealed class WeightStoreTests
{
    [Fact]
    public void Appended_tensors_start_on_pages_hold_no_bytes_in_the_proto_and_read_back_exactly()
    {
        using var temp = new TempDirectory();
        var first = ModelBuilder.Random(1000, seed: 1);
        var second = ModelBuilder.Random(3000, seed: 2);
        using var data = new ExternalDataFile(temp.File("weights.data"));
        var a = Tensor("a", first.Length);
        var b = Tensor("b", second.Length);
        data.Append(a, MemoryMarshal.AsBytes(first.AsSpan()));
        data.Append(b, MemoryMarshal.AsBytes(second.AsSpan()));

        Assert.Equal([0L, 4096L], new[] { a, b }.Select(t => ExternalDataInfo.Parse(t, "m").Offset));
        Assert.All(new[] { a, b }, t => Assert.False(t.HasRawData));
        Assert.All(new[] { a, b }, t => Assert.True(data.Holds(t)));
        Assert.Equal(4096 + (3000 * 4), new FileInfo(data.FullPath).Length);
        Assert.Equal(second, Read(b, temp.Path));
        Assert.Equal(first, Read(a, temp.Path));
    }

    [Fact]
    public void A_model_saved_beside_its_weight_store_finishes_that_file_in_place_and_runs_like_the_inline_model()
    {
        using var temp = new TempDirectory();
        var (inline, _) = MlpFiles.Write(temp);
        var model = OnnxModel.Load(inline);
        var folder = temp.File("out");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "model.onnx");
        using var data = new ExternalDataFile(path + ".data");
        model.OutputData = data;

        // One weight goes to the store as a pass would write it; the others are still inline when the model is saved.
        var moved = model.Graph.Initializers[0];
        var bytes = moved.RawData.ToByteArray();
        data.Append(moved, bytes);
        var before = data.Length;
        model.Save(path, new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataFileName = data.Name, ExternalDataThreshold = 0 });

        Assert.Equal(["model.onnx", "model.onnx.data"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(new FileInfo(path + ".data").Length > before, "the other weights did not join the store");
        var back = OnnxModel.Load(path);
        Assert.All(back.Graph.Initializers, t => Assert.True(ExternalDataInfo.IsExternal(t)));
        Assert.Equal(0, ExternalDataInfo.Parse(back.Graph.Initializers.Single(t => t.Name == moved.Name), path).Offset);
        var input = ModelBuilder.Random(4 * 8, seed: 11);
        Assert.Equal(Ort.Run(inline, "x", input, [4, 8]).Single(), Ort.Run(path, "x", input, [4, 8]).Single());
    }

    [Fact]
    public void A_tensor_larger_than_a_chunk_streams_from_one_model_s_data_into_another_s_unchanged()
    {
        using var temp = new TempDirectory();
        var values = ModelBuilder.Random((ExternalDataFile.ChunkBytes / 4 * 2) + 777, seed: 5); // two whole chunks and a part
        var source = temp.File("source.data");
        using (var store = new ExternalDataFile(source))
        {
            var tensor = Tensor("big", values.Length);
            store.Append(tensor, MemoryMarshal.AsBytes(values.AsSpan()));
            var model = new OnnxModel(new ModelProto { Graph = new GraphProto() }, "source.onnx", temp.Path);
            model.Proto.Graph.Initializer.Add(tensor);

            using var target = new ExternalDataFile(temp.File("target.data"));
            var copy = tensor.Clone();
            target.Copy(copy, model);
            Assert.True(target.Holds(copy));
            Assert.Equal(values, Read(copy, temp.Path));
        }
    }

    private static TensorProto Tensor(string name, long count)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(count);
        return tensor;
    }

    private static float[] Read(TensorProto tensor, string folder)
        => MemoryMarshal.Cast<byte, float>(TensorData.ReadBytes(tensor, folder, "model.onnx")).ToArray();
}
