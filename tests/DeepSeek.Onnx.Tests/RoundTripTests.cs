using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Onnx.Tests;

public sealed class RoundTripTests
{
    [Fact]
    public void ResNet18_read_and_written_back_is_byte_identical_and_equal()
    {
        using var temp = new TempDirectory();
        var original = File.ReadAllBytes(TestAssets.ResNet18);
        var model = OnnxModel.Load(TestAssets.ResNet18);
        var copy = temp.File("resnet18.onnx");
        model.Save(copy);

        var written = File.ReadAllBytes(copy);
        Assert.Equal(original.Length, written.Length);
        Assert.True(original.AsSpan().SequenceEqual(written), "the written file differs from the original");
        Assert.Equal(ModelProto.Parser.ParseFrom(original), OnnxModel.Load(copy).Proto);
    }

    [Fact]
    public void ResNet18_round_trip_gives_identical_outputs_in_onnx_runtime_on_real_photos()
    {
        using var temp = new TempDirectory();
        var copy = temp.File("resnet18.onnx");
        OnnxModel.Load(TestAssets.ResNet18).Save(copy);
        var input = OnnxModel.Load(copy).Graph.Inputs.Single().Name;

        Assert.NotEmpty(TestAssets.Images);
        foreach (var image in TestAssets.Images)
        {
            var tensor = PngImage.Load(image).ToNchw(224);
            var expected = Ort.Run(TestAssets.ResNet18, input, tensor, [1, 3, 224, 224]).Single();
            var actual = Ort.Run(copy, input, tensor, [1, 3, 224, 224]).Single();
            Assert.Equal(512, expected.Length);
            Assert.Contains(expected, v => v != 0f);
            Assert.Equal(expected, actual);
        }
    }

    public static TheoryData<long, long> IrAndOpsets => new()
    {
        { 3, 8 }, { 4, 9 }, { 5, 10 }, { 6, 11 }, { 7, 12 }, { 7, 13 }, { 8, 15 }, { 9, 19 }, { 10, 21 }, { 11, 23 },
    };

    [Theory]
    [MemberData(nameof(IrAndOpsets))]
    public void Built_models_round_trip_at_every_ir_version(long irVersion, long opset)
    {
        using var temp = new TempDirectory();
        var source = ModelBuilder.Mlp(irVersion, opset).Save(temp.File("mlp.onnx"));
        var copy = temp.File("copy.onnx");
        var model = OnnxModel.Load(source);
        Assert.Equal(irVersion, model.IrVersion);
        Assert.Equal(opset, model.GetOpsetVersion("ai.onnx"));
        model.Save(copy);

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(copy));
        var x = ModelBuilder.Random(3 * 8, seed: 7);
        var expected = Ort.Run(source, "x", x, [3, 8]).Single();
        Assert.Equal(12, expected.Length);
        Assert.Equal(expected, Ort.Run(copy, "x", x, [3, 8]).Single());
    }

    [Fact]
    public void Com_microsoft_opset_and_symbolic_dims_survive_a_round_trip()
    {
        using var temp = new TempDirectory();
        var source = new ModelBuilder(irVersion: 8, opset: 17)
            .Opset("com.microsoft", 1)
            .Input("x", "batch", "seq", 8)
            .Initializer("w", ModelBuilder.Random(8 * 8, 3), 8, 8)
            .Node("MatMul", ["x", "w"], ["h"])
            .Node("Gelu", ["h"], ["y"], "com.microsoft")
            .Output("y", "batch", "seq", 8)
            .Save(temp.File("gelu.onnx"));
        var model = OnnxModel.Load(source);

        Assert.Equal(1, model.GetOpsetVersion("com.microsoft"));
        var input = model.Graph.Inputs.Single();
        Assert.Equal([new Dimension(null, "batch"), new Dimension(null, "seq"), new Dimension(8, null)], input.Shape);
        Assert.Equal("[batch,seq,8]", input.ShapeText);

        var copy = temp.File("copy.onnx");
        model.Save(copy);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(copy));
        var x = ModelBuilder.Random(2 * 5 * 8, 9);
        var expected = Ort.Run(source, "x", x, [2, 5, 8]).Single();
        Assert.Equal(80, expected.Length);
        Assert.Equal(expected, Ort.Run(copy, "x", x, [2, 5, 8]).Single());
    }

    [Fact]
    public void Unknown_fields_are_kept()
    {
        using var temp = new TempDirectory();
        var bytes = ModelBuilder.Mlp(8, 13).ToBytes();
        // Field 99 (varint 42) at the end of ModelProto: a field from a future ONNX version.
        byte[] unknown = [0x98, 0x06, 42];
        var source = temp.File("future.onnx");
        File.WriteAllBytes(source, [.. bytes, .. unknown]);
        var copy = temp.File("copy.onnx");
        OnnxModel.Load(source).Save(copy);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(copy));
    }
}
