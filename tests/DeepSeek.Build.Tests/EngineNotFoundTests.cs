using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>DSB0091: a build whose DeepSeekEnginePath names no file fails with the id and the path, before compressing.</summary>
public sealed class EngineNotFoundTests
{
    [Fact]
    public void A_missing_engine_fails_the_build_with_DSB0091_naming_the_path()
    {
        using var app = new TestApp("""<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />""");
        var engine = app.File("no-engine/DeepSeek.Cli.dll");

        var (code, log) = app.Dotnet("build", $"-p:DeepSeekEnginePath={engine}");

        Assert.NotEqual(0, code);
        Assert.Contains($"error DSB0091: the DeepSeek engine was not found at '{engine}' — restore the DeepSeek.Build package, or set DeepSeekEnginePath to DeepSeek.Cli.dll", log, StringComparison.Ordinal);
        // Reported when the build first asks the engine (resolving the hardware profile), before any model: so no model name.
        Assert.False(File.Exists(app.File("bin/Debug/net10.0/Models/mnist-mlp.onnx")));
    }
}
