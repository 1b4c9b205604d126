using System.Text.Json;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>
/// A DeepSeekModel whose weights are in an external data file (as large models and some exporters store them) through real
/// `dotnet build`, `publish -r`, `clean` and the cache: the compressed model and its data file ship together at the model's
/// path, both are hashed in the manifest, a changed data file rebuilds, and ONNX Runtime loads the shipped pair.
/// </summary>
public sealed class ExternalDataBuildTests
{
    private const string Item = """<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />""";

    /// <summary>The app's MNIST MLP, rewritten with every tensor of 1 KB or more in <c>mnist-mlp.onnx.data</c>.</summary>
    private static TestApp App()
    {
        var app = new TestApp(Item);
        ModelReader.Read(TestAssets.MnistMlp).Save(app.File("Models/mnist-mlp.onnx"),
            new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile, ExternalDataFileName = "mnist-mlp.onnx.data" });
        Assert.True(new FileInfo(app.File("Models/mnist-mlp.onnx.data")).Length > 400_000);
        return app;
    }

    private static float[] Run(string model)
    {
        using var session = ModelSession.Open(model, null);
        var digits = MnistDigits.HeldOut.Take(4).ToList();
        return session.Run(new Dictionary<string, TensorValue> { ["input"] = TensorValue.Create(MnistDigits.Batch(digits), 4, 784) }).Values.First().GetData<float>();
    }

    [Fact]
    public void The_compressed_model_and_its_data_file_build_publish_cache_and_clean_together()
    {
        using var app = App();
        var sourceBytes = (File.ReadAllBytes(app.File("Models/mnist-mlp.onnx")), File.ReadAllBytes(app.File("Models/mnist-mlp.onnx.data")));
        var (code, log) = app.Dotnet("build", "-v:d");
        Assert.True(code == 0, log);
        Assert.Contains("progress: evaluating 1/", log, StringComparison.Ordinal); // the engine's progress, in the build log at -v:d

        var shipped = app.File("bin/Debug/net10.0/Models/mnist-mlp.onnx");
        Assert.True(File.Exists(shipped + ".data"), log);
        Assert.False(File.Exists(app.File("bin/Debug/net10.0/Models/mnist-mlp.onnx.data.data")));
        var total = new FileInfo(shipped).Length + new FileInfo(shipped + ".data").Length;
        Assert.True(total < (new FileInfo(TestAssets.MnistMlp).Length / 2), $"shipped {total} bytes: not the compressed model");
        Assert.Equal(sourceBytes.Item1, File.ReadAllBytes(app.File("Models/mnist-mlp.onnx"))); // source untouched, both files
        Assert.Equal(sourceBytes.Item2, File.ReadAllBytes(app.File("Models/mnist-mlp.onnx.data")));
        var original = Run(TestAssets.MnistMlp);
        var compressed = Run(shipped);
        Assert.Equal(original.Length, compressed.Length);
        Assert.True(original.Zip(compressed, (a, b) => Math.Abs(a - b)).Max() < 0.5, "the shipped pair does not compute the model");

        using (var manifest = JsonDocument.Parse(File.ReadAllText(app.File("obj/Debug/net10.0/deepseek/Models/mnist-mlp.onnx.model.json"))))
        {
            Assert.Equal("mnist-mlp.onnx.data", manifest.RootElement.GetProperty("dataFile").GetString());
            Assert.Equal(DeepSeek.Engine.Compression.ModelManifest.Hash(shipped + ".data"), manifest.RootElement.GetProperty("dataHash").GetString());
        }

        // Up to date; then a changed data file (same model, the file rewritten later) is an input of the check.
        (code, log) = app.Dotnet("build", "-v:n");
        Assert.True(code == 0, log);
        Assert.DoesNotContain("\"compress\"", log, StringComparison.Ordinal);
        File.SetLastWriteTimeUtc(app.File("Models/mnist-mlp.onnx.data"), DateTime.UtcNow.AddMinutes(1));
        (code, log) = app.Dotnet("build", "-v:n");
        Assert.True(code == 0, log);
        Assert.Contains("\"compress\"", log, StringComparison.Ordinal);

        // Publish for a RID ships the pair; after its intermediate files are gone, the cache gives both back.
        (code, log) = app.Dotnet("publish", "-r", "linux-x64", "-v:n");
        Assert.True(code == 0, log);
        var published = app.File("bin/Release/net10.0/linux-x64/publish/Models/mnist-mlp.onnx");
        Assert.True(File.Exists(published + ".data"), log);
        Assert.Equal(compressed.Length, Run(published).Length);
        Directory.Delete(app.File("obj/Release/net10.0/linux-x64/deepseek"), recursive: true);
        File.Delete(published + ".data");
        (code, log) = app.Dotnet("publish", "-r", "linux-x64", "-v:d");
        Assert.True(code == 0, log);
        Assert.Contains("from the cache", log, StringComparison.Ordinal);
        Assert.True(File.Exists(published + ".data"));
        var entries = Directory.GetFiles(app.File("obj/deepseek-cache"), "*.onnx");
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.True(File.Exists(e + ".data"), $"{e} was cached without its data")); // the build's profile and linux-x64's
        Assert.Equal(compressed.Length, Run(published).Length);

        (code, log) = app.Dotnet("clean");
        Assert.True(code == 0, log);
        Assert.False(File.Exists(shipped + ".data"));
        Assert.False(File.Exists(app.File("obj/Debug/net10.0/deepseek/Models/mnist-mlp.onnx.data")));
    }
}
