using System.Text.Json;
using DeepSeek.Engine.Profiles;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>DeepSeekProfilesFile end to end, and the build machine's own profile when there is no RID.</summary>
public sealed class ProfilesFileBuildTests
{
    private static string Profile(TestApp app, string model)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(app.File($"obj/Debug/net10.0/deepseek/Models/{model}.model.json")));
        return json.RootElement.GetProperty("profile").GetString()!;
    }

    [Fact]
    public void A_project_profiles_file_adds_a_profile_a_model_uses_and_its_size_budget_acts()
    {
        using var app = new TestApp("""
            <DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" Profile="edge-7bit" />
            <DeepSeekModel Include="Models/mnist-mlp.onnx" Link="Models/host.onnx" Quantize="int8-dynamic" />
            """);
        File.WriteAllText(app.File("App.csproj"), File.ReadAllText(app.File("App.csproj"))
            .Replace("<UseAppHost>", "<DeepSeekProfilesFile>edge-profiles.json</DeepSeekProfilesFile><UseAppHost>", StringComparison.Ordinal));
        const string Edge = """{ "profiles": [ { "name": "edge-7bit", "rids": [], "int8": { "activations": "int8", "weightBits": 7 }, "sizeBudgetMB": BUDGET } ] }""";
        File.WriteAllText(app.File("edge-profiles.json"), Edge.Replace("BUDGET", "1", StringComparison.Ordinal));

        var (code, log) = app.Dotnet("build", "-v:n");

        Assert.True(code == 0, log);
        Assert.Equal("edge-7bit", Profile(app, "mnist-mlp.onnx"));
        Assert.Equal(HostCpu.Current.ProfileName, Profile(app, "host.onnx")); // no RID, no Profile: this machine's
        Assert.Contains("\"--profiles-file\"", log, StringComparison.Ordinal);
        var shipped = new FileInfo(app.File("bin/Debug/net10.0/Models/mnist-mlp.onnx")).Length;
        Assert.True(shipped < new FileInfo(TestAssets.MnistMlp).Length / 2, $"{shipped} bytes");

        // The profiles file is an input: a budget the int8 model (~0.1 MB) cannot meet fails the next build with DSB0068.
        File.WriteAllText(app.File("edge-profiles.json"), Edge.Replace("BUDGET", "0.05", StringComparison.Ordinal));
        (code, log) = app.Dotnet("build", "-v:n");
        Assert.NotEqual(0, code);
        Assert.Contains("error DSB0068:", log, StringComparison.Ordinal);
        Assert.Contains("over the profile's size budget of 0.05 MB", log, StringComparison.Ordinal);
        Assert.Contains("mnist-mlp.onnx", log, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rid_no_profile_serves_fails_the_build_with_DSB0061_naming_the_project()
    {
        using var app = new TestApp("""<DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />""");

        var (code, log) = app.Dotnet("build", "-t:DeepSeekResolveProfile", "-p:RuntimeIdentifier=linux-riscv64");

        Assert.NotEqual(0, code);
        Assert.True(log.Contains("App.csproj : DeepSeek error DSB0061: no hardware profile serves the runtime identifier 'linux-riscv64'", StringComparison.Ordinal), log);
    }
}
