using System.Security.Cryptography;
using DeepSeek.Torch.Tasks.Elf;

namespace DeepSeek.Torch.Tests;

/// <summary>
/// The GLIBCXX_3.4.32 wall: TorchSharp 0.107's libLibTorchSharp.so needs that version of libstdc++ for one symbol that no
/// relocation uses; Debian 12 has 3.4.30. The build's target ships a copy with the need made weak; the package's file stays.
/// </summary>
public sealed class LibTorchSharpPatchTests
{
    private static readonly string PackageLibrary = Path.Combine(
        NuGetPackages(), "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static readonly string ShippedLibrary = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void The_package_library_needs_glibcxx_3_4_32_without_using_it()
    {
        var elf = ElfFile.Parse(File.ReadAllBytes(PackageLibrary));
        var needs = elf.VersionNeeds().Where(n => n.File == "libstdc++.so.6").ToList();
        Assert.Equal(20, needs.Count);
        var newest = Assert.Single(needs, n => n.Version == "GLIBCXX_3.4.32");
        Assert.False(newest.IsWeak);
        Assert.Equal(0, elf.RelocationsUsingVersion(newest.Index));
        // and the counter does see uses: 3.4.30 and the base version are used by relocations
        Assert.True(elf.RelocationsUsingVersion(needs.Single(n => n.Version == "GLIBCXX_3.4.30").Index) > 0);
        Assert.True(elf.RelocationsUsingVersion(needs.Single(n => n.Version == "GLIBCXX_3.4").Index) > 0);
    }

    [Fact]
    public void The_plan_patches_only_an_unused_missing_version_and_leaves_a_new_enough_host_alone()
    {
        var elf = ElfFile.Parse(File.ReadAllBytes(PackageLibrary));
        var all = elf.VersionNeeds().Select(n => n.Version).ToHashSet();

        var newHost = VersionPatchPlan.For(elf, all);
        Assert.True(newHost.LoadsAsIs);
        Assert.False(newHost.CanPatch);

        var debian12 = VersionPatchPlan.For(elf, all.Where(v => v != "GLIBCXX_3.4.32").ToHashSet());
        Assert.True(debian12.CanPatch);
        Assert.Equal("GLIBCXX_3.4.32", Assert.Single(debian12.Missing).Version);

        var older = VersionPatchPlan.For(elf, all.Where(v => v is not ("GLIBCXX_3.4.32" or "GLIBCXX_3.4.30")).ToHashSet());
        Assert.False(older.CanPatch);
        Assert.Equal(["GLIBCXX_3.4.30"], older.Used);
    }

    [Fact]
    public void Applying_the_plan_changes_only_the_flag_of_that_need()
    {
        var original = File.ReadAllBytes(PackageLibrary);
        var elf = ElfFile.Parse((byte[])original.Clone());
        var plan = VersionPatchPlan.For(elf, elf.VersionNeeds().Select(n => n.Version).Where(v => v != "GLIBCXX_3.4.32").ToHashSet());
        plan.Apply(elf);

        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != elf.Bytes[i]).ToList();
        Assert.Equal([(int)plan.Missing[0].EntryOffset + 4], changed);
        Assert.True(ElfFile.Parse(elf.Bytes).VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
    }

    [Fact]
    public void The_host_libstdcxx_is_read_and_the_build_shipped_what_it_needs()
    {
        var host = LibStdCxx.Find();
        Assert.NotNull(host);
        var provided = ElfFile.Parse(File.ReadAllBytes(host!)).VersionDefinitions();
        Assert.Contains("GLIBCXX_3.4", provided);
        Assert.Contains("CXXABI_1.3", provided);

        var shipped = ElfFile.Parse(File.ReadAllBytes(ShippedLibrary)).VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32");
        if (provided.Contains("GLIBCXX_3.4.32"))
        {
            // a new enough host: the package's file is shipped as it is
            Assert.False(shipped.IsWeak);
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(PackageLibrary)), SHA256.HashData(File.ReadAllBytes(ShippedLibrary)));
        }
        else
        {
            // Debian 12 / Ubuntu 22.04: the shipped copy has the need weak, and the package's file is untouched
            Assert.True(shipped.IsWeak);
            Assert.False(ElfFile.Parse(File.ReadAllBytes(PackageLibrary)).VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(64)]
    [InlineData(4096)]
    public void A_truncated_or_foreign_file_is_a_format_error(int length)
    {
        var bytes = File.ReadAllBytes(PackageLibrary).AsSpan(0, length).ToArray();
        Assert.Throws<ElfFormatException>(() => ElfFile.Parse(bytes).VersionNeeds());
    }

    private static string NuGetPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
