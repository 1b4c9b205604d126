using DeepSeek.Testing;
using DeepSeek.Torch.Tasks.Elf;

namespace DeepSeek.Torch.Tests.EndToEnd;

/// <summary>
/// The package as users get it: `dotnet pack` DeepSeek.Torch into a local feed, a fresh app outside the repository with
/// PackageReferences to it and to libtorch-cpu-linux-x64, then `dotnet run` and `dotnet publish -r linux-x64`: TorchSharp
/// loads on this host (Debian 12's libstdc++ lacks GLIBCXX_3.4.32) because the package's buildTransitive target shipped the
/// patched copy, and the app trains nothing but exports a model with the packaged exporter.
/// </summary>
public sealed class TorchPackageEndToEndTests
{
    [Fact]
    public void A_fresh_app_with_the_package_loads_torchsharp_and_exports_onnx()
    {
        using var temp = new TempDirectory();
        var feed = temp.File("feed");
        // a version of its own: the global packages folder never serves a stale copy from an earlier run
        var version = $"0.0.0-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var project = Path.Combine(TestAssets.RepositoryRoot, "src", "DeepSeek.Torch", "DeepSeek.Torch.csproj");
        var (code, log) = Dotnet(temp.Path, "pack", project, "-c", "Release", "-o", feed, $"-p:PackageVersion={version}");
        Assert.True(code == 0, log);

        var app = Directory.CreateDirectory(temp.File("app")).FullName;
        File.WriteAllText(Path.Combine(app, "nuget.config"), NugetConfig.WithLocalFeed(feed));
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <UseAppHost>false</UseAppHost>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="DeepSeek.Torch" Version="{version}" />
                <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using static TorchSharp.torch;
            var model = nn.Sequential(("fc", nn.Linear(4, 2)), ("relu", nn.ReLU()));
            var path = Path.Combine(AppContext.BaseDirectory, "tiny.onnx");
            DeepSeek.Torch.Export.OnnxExporter.Export(model, ones(1, 4), path);
            Console.WriteLine($"exported {new FileInfo(path).Length > 0}");
            static void Legacy(nn.Module m) => new DeepSeek.Torch.V1.Int8Quantizer(m).Quantize(); // the 1.x API: DSM0001
            
            """);

        (code, log) = Dotnet(app, "build", "-v:n");
        Assert.True(code == 0, log);
        // the package's migration analyzer reports the 1.x call (with a fix); the compiler's [Obsolete] duplicate is suppressed
        Assert.Contains("warning DSM0001: 'Int8Quantizer' is the 1.x quantization API", log, StringComparison.Ordinal);
        Assert.DoesNotContain("is obsolete", log, StringComparison.Ordinal);
        var hostLacks = !ElfFile.Parse(File.ReadAllBytes(LibStdCxx.Find()!)).VersionDefinitions().Contains("GLIBCXX_3.4.32");
        Assert.Equal(hostLacks, log.Contains("made weak", StringComparison.Ordinal));
        (code, log) = Dotnet(app, "run", "--no-build");
        Assert.True(code == 0, log);
        Assert.Equal("exported True", log.Trim());

        (code, log) = Dotnet(app, "publish", "-r", "linux-x64", "--self-contained", "false");
        Assert.True(code == 0, log);
        var published = Path.Combine(app, "bin/Release/net10.0/linux-x64/publish");
        var library = ElfFile.Parse(File.ReadAllBytes(Path.Combine(published, "libLibTorchSharp.so")));
        Assert.Equal(hostLacks, library.VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        (code, log) = Dotnet(published, "App.dll");
        Assert.True(code == 0, log);
        Assert.Equal("exported True", log.Trim());
    }

    private static (int ExitCode, string Log) Dotnet(string directory, params string[] args) =>
        ProcessRunner.Dotnet(directory, args, timeout: TimeSpan.FromMinutes(5));
}
