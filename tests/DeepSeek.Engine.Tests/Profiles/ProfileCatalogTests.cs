using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Profiles;

/// <summary>RID → profile, the one table the build and the CLI share, and user profile files.</summary>
public sealed class ProfileCatalogTests
{
    [Theory]
    [InlineData("linux-x64", "x64-avx2")] // a RID names the target, not this machine: portable x64 whatever CPU builds it
    [InlineData("win-x64", "x64-avx2")]
    [InlineData("osx-x64", "x64-avx2")]
    [InlineData("linux-musl-x64", "x64-avx2")]
    [InlineData("linux-arm64", "arm64-neon")]
    [InlineData("win-arm64", "arm64-neon")]
    [InlineData("osx-arm64", "apple-silicon")]
    [InlineData("browser-wasm", "browser-wasm")]
    public void A_rid_resolves_to_its_built_in_profile(string rid, string expected)
        => Assert.Equal(expected, ProfileCatalog.BuiltIn.Resolve(rid).Name);

    [Fact]
    public void A_rid_no_profile_serves_is_DSB0061_and_says_what_to_do()
    {
        var e = Assert.Throws<DeepSeekException>(() => ProfileCatalog.BuiltIn.Resolve("linux-riscv64"));

        Assert.Equal("DSB0061", e.Id);
        Assert.Contains("linux-riscv64", e.ToErrorLine(), StringComparison.Ordinal);
        Assert.Contains("DeepSeekProfilesFile", e.ToErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_profile_that_lists_a_rid_takes_it_over_and_adds_a_new_one()
    {
        using var temp = new TempDirectory();
        var file = temp.File("profiles.json");
        File.WriteAllText(file, """
            { "profiles": [
              { "name": "pi4", "rids": [ "linux-arm64", "linux-riscv64" ], "int8": { "activations": "int8", "weightBits": 7 }, "sizeBudgetMB": 20 }
            ] }
            """);

        var catalog = ProfileCatalog.Load(file);

        Assert.Equal("pi4", catalog.Resolve("linux-arm64").Name);
        Assert.Equal("pi4", catalog.Resolve("linux-riscv64").Name);
        Assert.Equal("apple-silicon", catalog.Resolve("osx-arm64").Name);
        Assert.Equal(20, catalog.Get("pi4").SizeBudgetMB);
        Assert.Equal(7, catalog.Get("pi4").Int8.WeightBits);
        Assert.Equal("arm64-neon", ProfileCatalog.BuiltIn.Resolve("linux-arm64").Name); // the built-in table is unchanged
    }
}
