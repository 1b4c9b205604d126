using System.Text.Json;
using DeepSeek.Engine.Runtime;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>DeepSeekModel items through real `dotnet build`, `publish -r`, `clean` and design-time builds.</summary>
public sealed class BuildIntegrationTests
{
    private const string Int8Model = """<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />""";

    [Fact]
    public void Build_ships_the_compressed_model_at_its_path_and_a_second_build_compresses_nothing()
    {
        using var app = new TestApp(Int8Model);
        var (code, log) = app.Dotnet("build", "-v:n");
        Assert.True(code == 0, log);
        Assert.Contains("DeepSeek.Cli.dll\" \"compress\"", log, StringComparison.Ordinal);

        var shipped = app.File("bin/Debug/net10.0/Models/mnist-mlp.onnx");
        Assert.True(File.Exists(shipped));
        Assert.True(new FileInfo(shipped).Length < new FileInfo(TestAssets.MnistMlp).Length / 2, "the shipped model is not the compressed one");
        Assert.Equal(File.ReadAllBytes(TestAssets.MnistMlp), File.ReadAllBytes(app.File("Models/mnist-mlp.onnx"))); // source untouched
        using (ModelSession.Open(shipped, null))
        {
        }

        using (var manifest = JsonDocument.Parse(File.ReadAllText(app.File("obj/Debug/net10.0/deepseek/Models/mnist-mlp.onnx.model.json"))))
        {
            var root = manifest.RootElement;
            Assert.Equal("int8-dynamic", root.GetProperty("recipe").GetString());
            Assert.Equal("input", root.GetProperty("inputs")[0].GetProperty("name").GetString());
            Assert.Equal("N", root.GetProperty("inputs")[0].GetProperty("shape")[0].GetString());
            Assert.StartsWith("sha256:", root.GetProperty("contentHash").GetString(), StringComparison.Ordinal);
        }

        (code, log) = app.Dotnet("build", "-v:n");
        Assert.True(code == 0, log);
        Assert.Contains("Skipping target \"DeepSeekCompressModels\" because all output files are up-to-date", log, StringComparison.Ordinal);
        Assert.DoesNotContain("\"compress\"", log, StringComparison.Ordinal);

        (code, log) = app.Dotnet("run", "--no-build");
        Assert.Equal($"model {new FileInfo(shipped).Length} bytes", log.Trim());

        (code, log) = app.Dotnet("clean");
        Assert.True(code == 0, log);
        Assert.False(File.Exists(app.File("obj/Debug/net10.0/deepseek/Models/mnist-mlp.onnx")));
        Assert.False(File.Exists(shipped));
    }

    [Fact]
    public void Publish_per_rid_uses_each_profile_and_the_cache_serves_a_repeated_profile()
    {
        using var app = new TestApp(Int8Model);
        var (code, log) = app.Dotnet("publish", "-r", "linux-x64", "-v:n");
        Assert.True(code == 0, log);
        Assert.Contains("\"--profile\" \"x64-avx2\"", log, StringComparison.Ordinal);
        (code, log) = app.Dotnet("publish", "-r", "linux-arm64", "-v:n");
        Assert.True(code == 0, log);
        Assert.Contains("\"--profile\" \"arm64-neon\"", log, StringComparison.Ordinal);

        var x64 = app.File("bin/Release/net10.0/linux-x64/publish/Models/mnist-mlp.onnx");
        var arm64 = app.File("bin/Release/net10.0/linux-arm64/publish/Models/mnist-mlp.onnx");
        Assert.True(new FileInfo(x64).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
        Assert.True(new FileInfo(arm64).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
        Assert.NotEqual(File.ReadAllBytes(x64), File.ReadAllBytes(arm64)); // 7-bit weights for x64-avx2, 8-bit for arm64-neon
        using (ModelSession.Open(x64, null))
        using (ModelSession.Open(arm64, null))
        {
        }

        // linux-x64 again: up to date, nothing is compressed a third time.
        (code, log) = app.Dotnet("publish", "-r", "linux-x64", "-v:n");
        Assert.True(code == 0, log);
        Assert.DoesNotContain("\"compress\"", log, StringComparison.Ordinal);

        // And after its intermediate files are gone: the cache answers.
        Directory.Delete(app.File("obj/Release/net10.0/linux-x64/deepseek"), recursive: true);
        (code, log) = app.Dotnet("publish", "-r", "linux-x64", "-v:d"); // the engine's own output is logged at low importance
        Assert.True(code == 0, log);
        Assert.Contains("from the cache", log, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetFiles(app.File("obj/deepseek-cache"), "*.onnx").Length);
        Assert.True(File.Exists(x64));
    }

    [Fact]
    public void A_bad_model_fails_the_build_with_its_DS_code_and_file()
    {
        using var app = new TestApp("""<DeepSeekModel Include="Models/broken.onnx" />""");
        File.WriteAllBytes(app.File("Models/broken.onnx"), File.ReadAllBytes(TestAssets.MnistMlp)[..1000]);

        var (code, log) = app.Dotnet("build");

        Assert.NotEqual(0, code);
        Assert.Contains("error DSB0004:", log, StringComparison.Ordinal);
        Assert.Contains("broken.onnx", log, StringComparison.Ordinal);
        Assert.DoesNotContain("MSB6006", log, StringComparison.Ordinal); // no generic "tool exited with code 1" on top
    }

    [Fact]
    public void A_design_time_build_writes_the_manifest_and_compresses_nothing()
    {
        using var app = new TestApp(Int8Model);
        var (code, log) = app.Dotnet("build", "-t:DeepSeekAddOutputs", "-p:DesignTimeBuild=true", "-v:n");
        Assert.True(code == 0, log);
        Assert.True(File.Exists(app.File("obj/Debug/net10.0/deepseek/Models/mnist-mlp.onnx.model.json")));
        Assert.False(File.Exists(app.File("obj/Debug/net10.0/deepseek/Models/mnist-mlp.onnx")));
        Assert.DoesNotContain("\"compress\"", log, StringComparison.Ordinal);
    }
}

public sealed class SharedCacheTests
{
    [Fact]
    public async Task Two_projects_building_at_once_against_one_cache_both_succeed_and_leave_one_whole_entry()
    {
        using var cache = new TempDirectory();
        using var first = new TestApp("""<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />""");
        using var second = new TestApp("""<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />""");
        var property = $"-p:DeepSeekCacheDirectory={cache.Path}/";

        var builds = await Task.WhenAll(new[] { first, second }.Select(app => Task.Run(() => app.Dotnet("build", property))));

        foreach (var (exitCode, log) in builds)
        {
            Assert.True(exitCode == 0, log);
        }

        var a = File.ReadAllBytes(first.File("bin/Debug/net10.0/Models/mnist-mlp.onnx"));
        var b = File.ReadAllBytes(second.File("bin/Debug/net10.0/Models/mnist-mlp.onnx"));
        Assert.Equal(a, b);
        var entry = Assert.Single(Directory.GetFiles(cache.Path, "*.onnx"));
        Assert.Equal(a, File.ReadAllBytes(entry));
        Assert.Empty(Directory.GetFiles(cache.Path, "*.tmp"));
        using (DeepSeek.Engine.Runtime.ModelSession.Open(entry, null))
        {
        }
    }
}

public sealed class ProfileAndInputTests
{
    [Fact]
    public void The_property_and_the_metadata_override_the_profile_and_new_calibration_data_rebuilds()
    {
        using var app = new TestApp("""<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" Calibration="calibration" />""");
        var calibration = Directory.CreateDirectory(app.File("calibration")).FullName;
        MnistDigits.WriteDataFolder(calibration, MnistDigits.Training.Take(4), cnnLayout: false);

        var (code, log) = app.Dotnet("build", "-v:n", "-p:DeepSeekHardwareProfile=arm64-neon");
        Assert.True(code == 0, log);
        Assert.Contains("\"--profile\" \"arm64-neon\"", log, StringComparison.Ordinal);
        Assert.Contains("\"--calibration\"", log, StringComparison.Ordinal);

        // A new sample in the calibration folder makes the model out of date.
        MnistDigits.WriteDataFolder(Directory.CreateDirectory(app.File("more")).FullName, MnistDigits.Training.Skip(4).Take(1), cnnLayout: false);
        File.Copy(app.File("more/sample_00000.npy"), Path.Combine(calibration, "sample_00004.npy"));
        File.Delete(Path.Combine(calibration, "labels.npy")); // it counts 4 labels for 5 samples now; labels are optional
        (code, log) = app.Dotnet("build", "-v:n", "-p:DeepSeekHardwareProfile=arm64-neon");
        Assert.True(code == 0, log);
        Assert.Contains("\"compress\"", log, StringComparison.Ordinal);

        // Item metadata wins over the property.
        File.WriteAllText(app.File("App.csproj"), File.ReadAllText(app.File("App.csproj")).Replace("Calibration=\"calibration\"", "Profile=\"x64-avx512vnni\"", StringComparison.Ordinal));
        (code, log) = app.Dotnet("build", "-v:n", "-p:DeepSeekHardwareProfile=arm64-neon");
        Assert.True(code == 0, log);
        Assert.Contains("\"--profile\" \"x64-avx512vnni\"", log, StringComparison.Ordinal);
    }

    [Fact]
    public void Publish_no_build_after_a_build_ships_the_compressed_model()
    {
        using var app = new TestApp("""<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />""");
        var (code, log) = app.Dotnet("build", "-c", "Release");
        Assert.True(code == 0, log);
        (code, log) = app.Dotnet("publish", "-c", "Release", "--no-build", "-o", app.File("out"));
        Assert.True(code == 0, log);
        var published = app.File("out/Models/mnist-mlp.onnx");
        Assert.Equal(File.ReadAllBytes(app.File("bin/Release/net10.0/Models/mnist-mlp.onnx")), File.ReadAllBytes(published));
        Assert.True(new FileInfo(published).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
    }
}
