using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Onnx.Tests;

/// <summary>DSB0006 (too large for protobuf or for one array) and DSB0040 (cannot write), each through the real reader and writer.</summary>
public sealed class SizeAndWriteErrorTests
{
    /// <summary>A sparse file: its declared length costs no disk and no time.</summary>
    private static string Sparse(string path, long length)
    {
        using var file = File.Create(path);
        file.SetLength(length);
        return path;
    }

    [Fact]
    public void DSB0006_a_file_over_2_GB_is_refused_before_it_is_read()
    {
        using var temp = new TempDirectory();
        var path = Sparse(temp.File("llm.onnx"), ModelReader.MaxModelFileBytes + 1L);

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DeepSeekException>(() => ModelReader.Read(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal("DSB0006", e.Id);
        Assert.Equal(
            $"error DSB0006: {path}: the file is 2147483648 bytes, over the 2 GB protobuf limit — save the weights as external data (onnx.save_model(..., save_as_external_data=True)) so the .onnx file stays under 2 GB",
            e.ToErrorLine());
        Assert.True(allocated < 1 << 20, $"refusing the file allocated {allocated} bytes");
    }

    [Fact]
    public void DSB0006_an_external_tensor_larger_than_one_array_is_refused_when_its_bytes_are_read()
    {
        using var temp = new TempDirectory();
        const long Elements = (1L << 29) + 1; // float32: 2 GiB + 4 bytes, more than Array.MaxLength
        Sparse(temp.File("w.bin"), Elements * 4);
        var tensor = new TensorProto { Name = "huge", DataType = 1, Dims = { Elements }, DataLocation = TensorProto.Types.DataLocation.External };
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });

        Assert.Equal(Elements, TensorData.Validate(tensor, temp.Path, "model.onnx")); // a valid reference: the range is in the file
        var e = Assert.Throws<DeepSeekException>(() => TensorData.ReadBytes(tensor, temp.Path, "model.onnx"));

        Assert.Equal("DSB0006", e.Id);
        Assert.Equal("error DSB0006: model.onnx: tensor 'huge' holds 2147483652 bytes, more than one array can — split the tensor", e.ToErrorLine());
    }

    [Fact]
    public void DSB0040_a_missing_output_folder_leaves_nothing_behind()
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(ModelBuilder.Mlp(8, 13).Save(temp.File("mlp.onnx")));
        var output = Path.Combine(temp.Path, "out", "mlp.onnx");

        var e = Assert.Throws<DeepSeekException>(() => model.Save(output));

        Assert.Equal("DSB0040", e.Id);
        Assert.Equal($"error DSB0040: {output}: the output folder does not exist — check that the output folder exists, that you may write there and that the disk has room", e.ToErrorLine());
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "out")));
    }

    [Theory]
    [InlineData("data/w.bin")]
    [InlineData("..")]
    [InlineData("..\\w.bin")]
    public void DSB0040_an_external_data_name_that_is_not_a_plain_file_name_is_refused(string dataName)
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(ModelBuilder.Mlp(8, 13).Save(temp.File("mlp.onnx")));
        var output = temp.File("out.onnx");

        var e = Assert.Throws<DeepSeekException>(() => model.Save(output, new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataFileName = dataName }));

        Assert.Equal("DSB0040", e.Id);
        Assert.Equal($"{output}: external data file name {Names.Quote(dataName)} must be a plain file name next to the model", $"{e.File}: {e.Problem}");
        Assert.Equal(["mlp.onnx"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }
}
