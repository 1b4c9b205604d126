using System.Diagnostics;
using System.Text.Json;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>Output dims in terms of the input symbols (manifest schema 2): resolved where ONNX Runtime confirms them, left alone elsewhere.</summary>
public sealed class OutputShapesTests(ITestOutputHelper log)
{
    private static JsonElement[] Outputs(string model, TempDirectory temp)
    {
        ModelManifest.Write(temp.File("m.json"), ModelReader.Read(model), "x64-avx2", "none", new Dictionary<string, string>(), contentFile: null);
        using var manifest = JsonDocument.Parse(File.ReadAllText(temp.File("m.json")));
        Assert.Equal(2, manifest.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("probed", manifest.RootElement.GetProperty("outputShapes").GetString());
        return manifest.RootElement.GetProperty("outputs").EnumerateArray().Select(o => o.Clone()).ToArray();
    }

    private static string Shape(JsonElement output, string property = "shape") => string.Concat(output.GetProperty(property).GetRawText().Where(c => !char.IsWhiteSpace(c)));

    [Fact]
    public void ArcticXs_as_the_package_ships_it_keeps_its_declared_shape_confirmed()
    {
        using var temp = new TempDirectory();
        var output = Assert.Single(Outputs(ArcticXs.Instance.Model, temp));
        Assert.Equal("""["batch_size","sequence_length",384]""", Shape(output));
    }

    [Fact]
    public void Exporter_symbols_of_a_real_transformer_resolve_to_the_input_symbols_and_constants()
    {
        var path = ArcticXsExport.ModelPath;
        using var temp = new TempDirectory();
        var timer = Stopwatch.StartNew();
        var outputs = Outputs(path, temp);
        log.WriteLine($"manifest with probe: {timer.Elapsed.TotalSeconds:F2} s");
        Assert.Equal("""["batch_size","sequence_length","Addlast_hidden_state_dim_2"]""", Shape(outputs[0], "modelShape"));
        Assert.Equal("""["batch_size","sequence_length",384]""", Shape(outputs[0]));
        Assert.Equal("""["Tanh924_dim_0",384]""", Shape(outputs[1], "modelShape"));
        Assert.Equal("""["batch_size",384]""", Shape(outputs[1]));
    }

    [Fact]
    public void A_dim_that_is_neither_a_constant_nor_one_input_symbol_stays_a_symbol()
    {
        // y = Concat(x, x) along axis 1: [N, 2F]; z = x: declared with exporter symbols, really [N, F].
        using var temp = new TempDirectory();
        var model = new ModelBuilder()
            .Input("x", "N", "F")
            .Node("Concat", ["x", "x"], ["y"], "", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 })
            .Node("Identity", ["x"], ["z"])
            .Output("y", "N", "Concaty_dim_1")
            .Output("z", "Identityz_dim_0", "Identityz_dim_1")
            .Save(temp.File("model.onnx"));

        var shapes = OutputShapes.Resolve(ModelReader.Read(model));

        Assert.True(shapes.Probed, shapes.Note);
        Assert.Equal("N,Concaty_dim_1", string.Join(",", shapes.Outputs[0]!.Select(d => d.Symbol)));
        Assert.Equal("N,F", string.Join(",", shapes.Outputs[1]!.Select(d => d.Symbol)));
        Assert.Contains("N 2/17", shapes.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_that_fails_at_other_sizes_keeps_its_declared_shapes_and_says_why()
    {
        // MatMul with an [8,4] weight only runs when K is 8: the probe's K of 3 fails, so nothing is claimed.
        using var temp = new TempDirectory();
        var model = new ModelBuilder()
            .Input("x", "N", "K")
            .Initializer("w", ModelBuilder.Random(32, 1), 8, 4)
            .Node("MatMul", ["x", "w"], ["y"])
            .Output("y", "MatMuly_dim_0", 4)
            .Save(temp.File("model.onnx"));

        var shapes = OutputShapes.Resolve(ModelReader.Read(model));

        Assert.False(shapes.Probed);
        Assert.Equal("MatMuly_dim_0", shapes.Outputs[0]![0].Symbol);
        Assert.StartsWith("declared (the probe run failed: ", shapes.Note, StringComparison.Ordinal);
    }
}
