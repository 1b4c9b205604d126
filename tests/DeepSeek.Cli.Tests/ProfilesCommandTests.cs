using DeepSeek.Engine.Profiles;
using DeepSeek.Testing;

namespace DeepSeek.Cli.Tests;

/// <summary><c>deepseek profiles --resolve [--rid]</c>: what the MSBuild targets ask, and this machine's profile.</summary>
public sealed class ProfilesCommandTests
{
    [Theory]
    [InlineData("linux-x64", "x64-avx2")] // the RID names the target: portable x64, even on this VNNI machine
    [InlineData("linux-arm64", "arm64-neon")]
    [InlineData("osx-arm64", "apple-silicon")]
    public void Resolve_gives_the_profile_of_a_rid(string rid, string expected)
    {
        var (code, stdout, stderr) = CliRunner.Run("profiles", "--resolve", "--rid", rid);

        Assert.True(code == 0, stderr);
        Assert.Equal(expected, stdout.Trim());
    }

    [Fact]
    public void Resolve_without_a_rid_is_this_machine_and_the_listing_marks_it()
    {
        var (code, stdout, _) = CliRunner.Run("profiles", "--resolve");
        Assert.Equal(0, code);
        Assert.Equal(HostCpu.Current.ProfileName, stdout.Trim());

        (code, stdout, _) = CliRunner.Run("profiles");
        Assert.Equal(0, code);
        Assert.Contains($"this machine: {HostCpu.Current.Describe()} → {HostCpu.Current.ProfileName}", stdout, StringComparison.Ordinal);
        Assert.Contains($"\n{HostCpu.Current.ProfileName}  (this machine)", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_runtime_knobs_that_hide_instruction_sets_from_dotnet_do_not_change_the_answer()
    {
        // DOTNET_EnableAVX512F=0 and DOTNET_EnableAVX2=0 make .NET report no AVX-512/AVX2; ONNX Runtime still uses them.
        var environment = new Dictionary<string, string> { ["DOTNET_EnableAVX512F"] = "0", ["DOTNET_EnableAVX2"] = "0" };
        var result = ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "DeepSeek.Cli.dll"), "profiles", "--resolve"],
            environment: environment, timeout: TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(HostCpu.Current.ProfileName, result.Output.Trim());
    }

    [Fact]
    public void A_rid_no_profile_serves_is_DSB0061_and_a_profiles_file_can_claim_it()
    {
        var (code, stdout, stderr) = CliRunner.Run("profiles", "--resolve", "--rid", "linux-riscv64");
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.StartsWith("error DSB0061: linux-riscv64: no hardware profile serves the runtime identifier 'linux-riscv64'", stderr, StringComparison.Ordinal);

        using var temp = new TempDirectory();
        var file = temp.File("profiles.json");
        File.WriteAllText(file, """{ "profiles": [ { "name": "visionfive", "rids": [ "linux-riscv64" ], "int8": { "activations": "int8", "weightBits": 8 } } ] }""");
        (code, stdout, stderr) = CliRunner.Run("profiles", "--resolve", "--rid", "linux-riscv64", "--profiles-file", file);
        Assert.True(code == 0, stderr);
        Assert.Equal("visionfive", stdout.Trim());
    }

    [Fact]
    public void Rid_without_resolve_is_DSB0065()
    {
        var (code, _, stderr) = CliRunner.Run("profiles", "--rid", "linux-x64");

        Assert.Equal(1, code);
        Assert.StartsWith("error DSB0065: --rid: --rid only goes with --resolve", stderr, StringComparison.Ordinal);
    }
}
