using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Xml.Linq;
using DeepSeek.Onnx.Diagnostics;

namespace DeepSeek.Build.Tests;

/// <summary>
/// What NuGet users expect of every package in the feed: a readme, a licence expression, project and repository URLs (one
/// property, which help links come from too), release notes, and symbols with SourceLink (a .snupkg, or PDBs embedded in the
/// assemblies DeepSeek.Build carries as tasks and analyzers).
/// </summary>
[Collection(SharedLocalFeed.Name)]
public sealed class PackageMetadataTests(LocalFeed feed)
{
    [Theory]
    [InlineData("DeepSeek.Build")]
    [InlineData("DeepSeek.Runtime")]
    [InlineData("DeepSeek.Cli")]
    public void Each_package_has_readme_licence_urls_and_release_notes(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed.Directory, $"{id}.{feed.Version}.nupkg"));
        var metadata = Nuspec(package);
        var readme = Text(metadata, "readme");
        var text = ReadEntry(package, readme);
        Assert.StartsWith("# ", text, StringComparison.Ordinal);
        Assert.True(text.Length > 300, text);
        Assert.Equal("MIT", Text(metadata, "license"));
        Assert.Equal("expression", metadata.Element(metadata.Name.Namespace + "license")!.Attribute("type")!.Value);
        var repository = metadata.Element(metadata.Name.Namespace + "repository")!;
        Assert.Equal(Text(metadata, "projectUrl"), repository.Attribute("url")!.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")!.Value);
        Assert.StartsWith(feed.Version, Text(metadata, "releaseNotes"), StringComparison.Ordinal);
        // Help links come from the same URL property.
        Assert.Equal(Text(metadata, "projectUrl") + "/blob/main/docs/diagnostics.md#dsb0004", DiagnosticIds.Truncated.HelpLink);
    }

    [Fact]
    public void DeepSeek_Build_depends_on_the_runtime_its_wrappers_call()
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed.Directory, $"DeepSeek.Build.{feed.Version}.nupkg"));
        var metadata = Nuspec(package);
        Assert.Null(metadata.Element(metadata.Name.Namespace + "developmentDependency"));
        var dependencies = metadata.Descendants(metadata.Name.Namespace + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);
        Assert.Equal(feed.Version, dependencies["DeepSeek.Runtime"]);
        Assert.True(dependencies.ContainsKey("Microsoft.ML.OnnxRuntime"));
    }

    [Theory]
    [InlineData("DeepSeek.Runtime", "lib/net8.0/DeepSeek.Runtime.pdb")]
    [InlineData("DeepSeek.Cli", "tools/net10.0/any/DeepSeek.Cli.pdb")]
    public void Libraries_and_the_tool_have_a_symbols_package_with_sourcelink(string id, string pdb)
    {
        using var symbols = ZipFile.OpenRead(Path.Combine(feed.Directory, $"{id}.{feed.Version}.snupkg"));
        using var stream = new MemoryStream();
        using (var entry = symbols.GetEntry(pdb)!.Open())
        {
            entry.CopyTo(stream);
        }

        stream.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        AssertSourceLink(provider.GetMetadataReader());
    }

    [Theory]
    [InlineData("tasks/netstandard2.0/DeepSeek.Build.Tasks.dll")]
    [InlineData("analyzers/dotnet/cs/DeepSeek.Generators.dll")]
    [InlineData("analyzers/dotnet/cs/DeepSeek.Wrappers.Analyzers.dll")]
    public void Assemblies_inside_DeepSeek_Build_embed_their_pdb_with_sourcelink(string path)
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed.Directory, $"DeepSeek.Build.{feed.Version}.nupkg"));
        using var stream = new MemoryStream();
        using (var entry = package.GetEntry(path)!.Open())
        {
            entry.CopyTo(stream);
        }

        stream.Position = 0;
        using var pe = new PEReader(stream);
        var embedded = pe.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
        using var provider = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded);
        AssertSourceLink(provider.GetMetadataReader());
    }

    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private static void AssertSourceLink(MetadataReader pdb)
    {
        var json = pdb.CustomDebugInformation.Select(pdb.GetCustomDebugInformation)
            .Where(c => pdb.GetGuid(c.Kind) == SourceLinkKind)
            .Select(c => Encoding.UTF8.GetString(pdb.GetBlobBytes(c.Value)))
            .Single();
        Assert.Matches("\"https://raw\\.githubusercontent\\.com/[^\"]+/[0-9a-f]{40}/\\*\"", json);
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var root = XDocument.Load(stream).Root!;
        return root.Element(root.Name.Namespace + "metadata")!;
    }

    private static string Text(XElement metadata, string name) => metadata.Element(metadata.Name.Namespace + name)?.Value ?? "";

    private static string ReadEntry(ZipArchive package, string path)
    {
        using var reader = new StreamReader(package.GetEntry(path)!.Open());
        return reader.ReadToEnd();
    }
}
