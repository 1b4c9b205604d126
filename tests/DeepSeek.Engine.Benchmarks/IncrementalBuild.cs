using System.Diagnostics;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>
/// <c>--incremental-build</c>: a no-op `dotnet build` of an app with DeepSeek.Build and one DeepSeekModel, against the same
/// app without DeepSeek.Build (the model copied as plain content), median of 5 each, alternating, in the same run.
/// </summary>
internal static class IncrementalBuild
{
    public static int Run(string repository)
    {
        var root = Directory.CreateTempSubdirectory("deepseek-bench-build-").FullName;
        try
        {
            var with = App(root, "with", repository, deepseek: true);
            var without = App(root, "without", repository, deepseek: false);
            foreach (var app in new[] { with, without })
            {
                Time(app); // first build: restore, compile, compress
                Time(app);
            }

            var a = new List<double>();
            var b = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                a.Add(Time(with));
                b.Add(Time(without));
            }

            double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
            Console.WriteLine($"no-op dotnet build, median of 5: with DeepSeek.Build {Median(a):F2} s, without {Median(b):F2} s, ratio {Median(a) / Median(b):F3} (target <= 1.1)");
            Console.WriteLine($"  with:    {string.Join(" ", a.Select(t => t.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
            Console.WriteLine($"  without: {string.Join(" ", b.Select(t => t.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string App(string root, string name, string repository, bool deepseek)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "Models"));
        File.Copy(TestAssets.MnistCnn, Path.Combine(folder, "Models", "mnist-cnn.onnx"));
        var build = Path.Combine(repository, "build");
        var items = deepseek
            ? """<DeepSeekModel Include="Models/mnist-cnn.onnx" Quantize="int8-dynamic" />"""
            : """<None Include="Models/mnist-cnn.onnx" CopyToOutputDirectory="PreserveNewest" />""";
        File.WriteAllText(Path.Combine(folder, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              {(deepseek ? $"<Import Project=\"{build}/DeepSeek.Build.props\" />" : "")}
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <DeepSeekEnginePath>{repository}/src/DeepSeek.Cli/bin/Release/net10.0/DeepSeek.Cli.dll</DeepSeekEnginePath>
                <DeepSeekTasksAssembly>{repository}/src/DeepSeek.Build.Tasks/bin/Release/netstandard2.0/DeepSeek.Build.Tasks.dll</DeepSeekTasksAssembly>
              </PropertyGroup>
              <ItemGroup>{items}</ItemGroup>
              {(deepseek ? $"<Import Project=\"{build}/DeepSeek.Build.targets\" />" : "")}
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), "System.Console.WriteLine(1);");
        return folder;
    }

    private static double Time(string folder)
    {
        var clock = Stopwatch.StartNew();
        var result = ProcessRunner.Run("dotnet", ["build", "-nodeReuse:false", "-v:q"], folder);
        var seconds = clock.Elapsed.TotalSeconds;
        return result.ExitCode == 0 ? seconds : throw new InvalidOperationException($"dotnet build failed in {folder}: {result.Log}");
    }
}
