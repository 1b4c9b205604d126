using System.Globalization;
using System.Runtime.InteropServices;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>
/// The packages as users get them, from a local feed (<see cref="LocalFeed"/>): a fresh console app in a temp folder with a
/// nuget.config naming the feed and its own packages folder, exactly the one PackageReference README shows and one
/// DeepSeekModel, then `dotnet build`, `dotnet run`, `dotnet publish -r linux-x64` and `-r linux-arm64`; and the deepseek
/// tool installed with `dotnet tool install`.
/// </summary>
[Collection(SharedLocalFeed.Name)]
public sealed class PackageEndToEndTests(LocalFeed feed)
{
    private const int Digits = 16;

    [Fact]
    public void A_fresh_app_with_the_one_package_ships_a_compressed_model_per_rid_and_its_wrapper_agrees_with_onnx_runtime()
    {
        using var temp = new TempDirectory();
        var app = Directory.CreateDirectory(temp.File("app")).FullName;
        Directory.CreateDirectory(Path.Combine(app, "Models"));
        File.Copy(TestAssets.MnistMlp, Path.Combine(app, "Models", "mnist-mlp.onnx"));
        File.WriteAllText(Path.Combine(app, "nuget.config"), feed.NugetConfig);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <UseAppHost>false</UseAppHost>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="DeepSeek.Build" Version="{feed.Version}" />
                <DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System.Globalization;
            using System.Runtime.InteropServices;

            // The typed wrapper DeepSeek.Build generated from the model's manifest: N digits (784 floats each, raw little-endian
            // float32 in the file args[0]) in, 10 logits per digit out, through its allocation-free overload.
            var pixels = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(args[0])).ToArray();
            var n = pixels.Length / 784;
            using var mlp = new App.Models.MnistMlp();
            var logits = new float[n * 10];
            mlp.Run(pixels, logits, n);
            var shipped = DeepSeek.Runtime.ShippedModel.Open(App.Models.MnistMlp.ModelPath);
            Console.WriteLine($"{App.Models.MnistMlp.Profile} {App.Models.MnistMlp.Recipe} {new FileInfo(shipped.Path).Length} bytes");
            Console.WriteLine(string.Join(' ', logits.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            static void Leak() => new App.Models.MnistMlp().Run(new float[784], new float[10], 1); // never disposed: DSW0002
            """);
        var digits = MnistDigits.HeldOut.Take(Digits).ToArray();
        var pixels = MnistDigits.Batch(digits);
        var input = temp.File("digits.f32");
        File.WriteAllBytes(input, MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray());
        var packages = temp.File("packages"); // never a stale copy of this version from an earlier run

        var (code, log) = Dotnet(app, packages, "build");
        Assert.True(code == 0, log);
        Assert.Contains("warning DSW0002: 'MnistMlp' is never disposed", log, StringComparison.Ordinal); // the package's analyzers run
        var built = Path.Combine(app, "bin/Debug/net10.0/Models/mnist-mlp.onnx");
        Assert.True(new FileInfo(built).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
        (code, log) = Dotnet(app, packages, "run", "--no-build", "--", input);
        Assert.True(code == 0, log);
        var lines = log.Trim().Split('\n');
        // No RID: the build machine's own profile (x64-avx512vnni on a VNNI CPU, x64-avx2 on plain AVX2 ...).
        Assert.Equal($"{HostCpu.Current.ProfileName} int8-dynamic {new FileInfo(built).Length} bytes", lines[0].Trim());
        AssertSameAsOnnxRuntime(built, pixels, lines[1]);

        foreach (var rid in new[] { "linux-x64", "linux-arm64" })
        {
            (code, log) = Dotnet(app, packages, "publish", "-r", rid);
            Assert.True(code == 0, log);
        }

        var x64 = Path.Combine(app, "bin/Release/net10.0/linux-x64/publish/Models/mnist-mlp.onnx");
        var arm64 = Path.Combine(app, "bin/Release/net10.0/linux-arm64/publish/Models/mnist-mlp.onnx");
        Assert.True(new FileInfo(x64).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
        Assert.True(new FileInfo(arm64).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
        Assert.NotEqual(File.ReadAllBytes(x64), File.ReadAllBytes(arm64));
        using (ModelSession.Open(arm64, null))
        {
        }

        // ONNX Runtime's native library comes with the app: it runs from its publish folder alone.
        var publish = Path.Combine(app, "bin/Release/net10.0/linux-x64/publish");
        Assert.True(File.Exists(Path.Combine(publish, "libonnxruntime.so")));
        (code, log) = Dotnet(publish, packages, "App.dll", input);
        Assert.True(code == 0, log);
        lines = log.Trim().Split('\n');
        Assert.Equal($"x64-avx2 int8-dynamic {new FileInfo(x64).Length} bytes", lines[0].Trim());
        AssertSameAsOnnxRuntime(x64, pixels, lines[1]);
        Assert.True(File.Exists(arm64 + ".model.json"));
        Assert.Contains("\"profile\": \"arm64-neon\"", File.ReadAllText(arm64 + ".model.json"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_deepseek_tool_installs_from_the_feed_and_runs()
    {
        using var temp = new TempDirectory();
        var tools = temp.File("tools");
        var packages = temp.File("packages");
        var (code, log) = Dotnet(temp.Path, packages, "tool", "install", "DeepSeek.Cli", "--version", feed.Version, "--tool-path", tools, "--add-source", feed.Directory);
        Assert.True(code == 0, log);
        var deepseek = Path.Combine(tools, "deepseek");

        var result = ProcessRunner.Run(deepseek, ["profiles", "--resolve"]);
        Assert.True(result.ExitCode == 0, result.Log);
        Assert.Equal(HostCpu.Current.ProfileName, result.Output.Trim());

        result = ProcessRunner.Run(deepseek, ["inspect", TestAssets.MnistMlp]);
        Assert.True(result.ExitCode == 0, result.Log);
        Assert.Contains("input  float    [N,784]", result.Output, StringComparison.Ordinal);
        Assert.Contains("Parameters  101,770 in 4 tensors", result.Output, StringComparison.Ordinal);

        var compressed = temp.File("mlp-int8.onnx");
        result = ProcessRunner.Run(deepseek, ["compress", TestAssets.MnistMlp, "-o", compressed, "--quantize", "int8-dynamic"]);
        Assert.True(result.ExitCode == 0, result.Log);
        Assert.True(new FileInfo(compressed).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
    }

    /// <summary>The wrapper's logits (printed with "R") equal a plain ONNX Runtime run of the same shipped model on the same digits.</summary>
    private static void AssertSameAsOnnxRuntime(string model, float[] pixels, string printed)
    {
        var fromWrapper = printed.Trim().Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var fromOrt = Ort.Run(model, "input", pixels, [Digits, 784])[0];
        Assert.Equal(fromOrt.Length, fromWrapper.Length);
        var scale = fromOrt.Max(MathF.Abs);
        for (var i = 0; i < fromOrt.Length; i++)
        {
            Assert.True(MathF.Abs(fromOrt[i] - fromWrapper[i]) <= 1e-5f * scale, $"logit {i}: wrapper {fromWrapper[i]}, ONNX Runtime {fromOrt[i]}");
        }
    }

    private static (int ExitCode, string Log) Dotnet(string directory, string? packages, params string[] args) =>
        ProcessRunner.Dotnet(directory, args, packages is null ? null : new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages });
}
