using System.Diagnostics;
using System.Text.Json;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;
using Xunit.Abstractions;

namespace DeepSeek.Cli.Tests;

/// <summary>
/// The manifests <c>deepseek manifest</c> (design-time builds) and <c>deepseek compress --manifest</c> (builds) write give the
/// same output shapes, in terms of the input symbols (docs/manifest.md, schema 2).
/// </summary>
public sealed class ManifestCommandTests(ITestOutputHelper log)
{
    private static string Outputs(string manifest)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(manifest));
        Assert.Equal(2, json.RootElement.GetProperty("schemaVersion").GetInt32());
        return string.Join(" ", json.RootElement.GetProperty("outputs").EnumerateArray()
            .Select(o => o.GetProperty("name").GetString() + string.Concat(o.GetProperty("shape").GetRawText().Where(c => !char.IsWhiteSpace(c)))));
    }

    [Fact]
    public void The_design_time_manifest_of_a_transformer_export_resolves_its_exporter_symbols()
    {
        var model = ArcticXsExport.ModelPath;
        using var temp = new TempDirectory();
        var timer = Stopwatch.StartNew();
        var (code, _, stderr) = CliRunner.Run("manifest", model, "-o", temp.File("m.json"), "--profile", "x64-avx2");
        log.WriteLine($"deepseek manifest (90 MB BERT, in process): {timer.Elapsed.TotalSeconds:F2} s");

        Assert.True(code == 0, stderr);
        Assert.Equal("""last_hidden_state["batch_size","sequence_length",384] 924["batch_size",384]""", Outputs(temp.File("m.json")));
    }

    [Fact]
    public void Compress_writes_the_same_resolved_shapes_as_the_design_time_manifest()
    {
        using var temp = new TempDirectory();
        var model = new ModelBuilder()
            .Input("x", "N", 8)
            .Initializer("w", ModelBuilder.Random(32, 1), 8, 4)
            .Node("MatMul", ["x", "w"], ["y"])
            .Node("Concat", ["y", "y"], ["z"], "", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 })
            .Output("y", "MatMuly_dim_0", "MatMuly_dim_1")
            .Output("z", "Concatz_dim_0", 4)
            .Save(temp.File("model.onnx"));

        var (code, _, stderr) = CliRunner.Run("compress", model, "-o", temp.File("out.onnx"), "--profile", "x64-avx2", "--quantize", "none", "--manifest", temp.File("build.json"));
        Assert.True(code == 0, stderr);
        (code, _, stderr) = CliRunner.Run("manifest", model, "-o", temp.File("design.json"), "--profile", "x64-avx2", "--quantize", "none");
        Assert.True(code == 0, stderr);

        // z is [2N, 4]: no constant and no single input symbol, so it stays a symbol of its own (a Run parameter)
        Assert.Equal("""y["N",4] z["Concatz_dim_0",4]""", Outputs(temp.File("build.json")));
        Assert.Equal(Outputs(temp.File("build.json")), Outputs(temp.File("design.json")));
    }
}
