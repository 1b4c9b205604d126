using System.Reflection;
using DeepSeek.Testing;

namespace DeepSeek.Build.Tests;

/// <summary>
/// The packages as `dotnet pack` makes them for users, in one local feed shared by the package tests: DeepSeek.Build (the one
/// package apps add), DeepSeek.Runtime (its dependency) and DeepSeek.Cli (the deepseek dotnet tool).
/// </summary>
public sealed class LocalFeed : IDisposable
{
    private readonly TempDirectory temp = new();

    public LocalFeed()
    {
        Directory = System.IO.Directory.CreateDirectory(temp.File("feed")).FullName;
        foreach (var key in new[] { "PackageProject", "RuntimeProject", "CliProject" })
        {
            var (code, log) = ProcessRunner.Dotnet(temp.Path, ["pack", Project(key), "-c", "Release", "-o", Directory]);
            Assert.True(code == 0, log);
        }

        var package = Assert.Single(System.IO.Directory.GetFiles(Directory, "DeepSeek.Build.*.nupkg"));
        Version = Path.GetFileNameWithoutExtension(package)["DeepSeek.Build.".Length..];
    }

    /// <summary>The feed folder.</summary>
    public string Directory { get; }

    /// <summary>The version every package in the feed has.</summary>
    public string Version { get; }

    /// <summary>A nuget.config that names this feed (nuget.org and the machine's other sources stay).</summary>
    public string NugetConfig => Testing.NugetConfig.WithLocalFeed(Directory);

    public void Dispose() => temp.Dispose();

    private static string Project(string key) => Path.GetFullPath(typeof(LocalFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!);
}

/// <summary>The package test classes share one <see cref="LocalFeed"/>: the packages are packed once per test run.</summary>
[CollectionDefinition(Name)]
public sealed class SharedLocalFeed : ICollectionFixture<LocalFeed>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Local feed";
}
