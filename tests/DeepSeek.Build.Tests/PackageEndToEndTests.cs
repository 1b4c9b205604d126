using System.Reflection;
using DeepSeek.Engine.Profiles;
using DeepSeek.Engine.Runtime;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>
/// The package as users get it: `dotnet pack` DeepSeek.Build into a local feed, a fresh console app in a temp folder with a
/// nuget.config naming that feed (and the usual ones) and its own packages folder, one PackageReference and one DeepSeekModel,
/// then `dotnet build`, `dotnet run`, `dotnet publish -r linux-x64` and `-r linux-arm64`.
/// </summary>
public sealed class PackageEndToEndTests
{
    [Fact]
    public void A_fresh_app_with_the_package_ships_a_compressed_model_per_rid()
    {
        using var temp = new TempDirectory();
        var feed = temp.File("feed");
        string Project(string key) => Path.GetFullPath(typeof(PackageEndToEndTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!);
        var (code, log) = Dotnet(temp.Path, null, "pack", Project("PackageProject"), "-c", "Release", "-o", feed);
        Assert.True(code == 0, log);
        (code, log) = Dotnet(temp.Path, null, "pack", Project("RuntimeProject"), "-c", "Release", "-o", feed);
        Assert.True(code == 0, log);
        Assert.Single(Directory.GetFiles(feed, "DeepSeek.Runtime.*.nupkg"));
        var package = Assert.Single(Directory.GetFiles(feed, "DeepSeek.Build.*.nupkg"));
        var version = Path.GetFileNameWithoutExtension(package)["DeepSeek.Build.".Length..];

        var app = Directory.CreateDirectory(temp.File("app")).FullName;
        Directory.CreateDirectory(Path.Combine(app, "Models"));
        File.Copy(TestAssets.MnistMlp, Path.Combine(app, "Models", "mnist-mlp.onnx"));
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="deepseek-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <UseAppHost>false</UseAppHost>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="DeepSeek.Build" Version="{version}" />
                <PackageReference Include="DeepSeek.Runtime" Version="{version}" />
                <DeepSeekModel Include="Models/mnist-mlp.onnx" Quantize="int8-dynamic" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            // The typed wrapper DeepSeek.Build generated from the model's manifest, called through its allocation-free overload.
            using var mlp = new App.Models.MnistMlp();
            Span<float> logits = stackalloc float[10];
            mlp.Run(new float[784], logits, n: 1);
            var shipped = DeepSeek.Runtime.ShippedModel.Open(App.Models.MnistMlp.ModelPath);
            Console.WriteLine($"{App.Models.MnistMlp.Profile} {App.Models.MnistMlp.Recipe} {new FileInfo(shipped.Path).Length} bytes, {logits.Length} logits");
            static void Leak() => new App.Models.MnistMlp().Run(new float[784], new float[10], 1); // never disposed: DSW0002
            """);
        var packages = temp.File("packages"); // never a stale copy of this version from an earlier run

        (code, log) = Dotnet(app, packages, "build");
        Assert.True(code == 0, log);
        Assert.Contains("warning DSW0002: 'MnistMlp' is never disposed", log, StringComparison.Ordinal); // the package's analyzers run
        var built = Path.Combine(app, "bin/Debug/net10.0/Models/mnist-mlp.onnx");
        Assert.True(new FileInfo(built).Length < new FileInfo(TestAssets.MnistMlp).Length / 2);
        (code, log) = Dotnet(app, packages, "run", "--no-build");
        Assert.True(code == 0, log);
        // No RID: the build machine's own profile (x64-avx512vnni on a VNNI CPU, x64-avx2 on plain AVX2 ...).
        Assert.Equal($"{HostCpu.Current.ProfileName} int8-dynamic {new FileInfo(built).Length} bytes, 10 logits", log.Trim());

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
        using (ModelSession.Open(x64, null))
        using (ModelSession.Open(arm64, null))
        {
        }

        (code, log) = Dotnet(Path.Combine(app, "bin/Release/net10.0/linux-x64/publish"), packages, "App.dll");
        Assert.True(code == 0, log);
        Assert.Equal($"x64-avx2 int8-dynamic {new FileInfo(x64).Length} bytes, 10 logits", log.Trim());
        Assert.True(File.Exists(arm64 + ".model.json"));
        Assert.Contains("\"profile\": \"arm64-neon\"", File.ReadAllText(arm64 + ".model.json"), StringComparison.Ordinal);
    }

    private static (int ExitCode, string Log) Dotnet(string directory, string? packages, params string[] args) =>
        ProcessRunner.Dotnet(directory, args, packages is null ? null : new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages });
}
