using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using DeepSeek.Engine.Profiles;

namespace DeepSeek.Engine.Tests.Profiles;

/// <summary>The build machine's own profile: a function of the CPU's reported instruction sets, every branch on any machine.</summary>
public sealed class HostProfileTests
{
    [Theory]
    [InlineData(Architecture.X64, false, false, false, false, "x64-avx2")]
    [InlineData(Architecture.X64, false, true, false, false, "x64-avx512vnni")]
    [InlineData(Architecture.X64, false, false, true, false, "x64-avx512vnni")] // AVX-VNNI alone (Alder Lake and later client cores)
    [InlineData(Architecture.X64, false, true, true, false, "x64-avx512vnni")]
    [InlineData(Architecture.X64, true, false, false, false, "x64-avx2")] // an Intel Mac without VNNI
    [InlineData(Architecture.Arm64, false, false, false, false, "arm64-neon")] // Raspberry Pi 4 (Cortex-A72, no sdot)
    [InlineData(Architecture.Arm64, false, false, false, true, "arm64-neon")] // Raspberry Pi 5 (Cortex-A76, sdot)
    [InlineData(Architecture.Arm64, true, false, false, true, "apple-silicon")]
    [InlineData(Architecture.Wasm, false, false, false, false, "browser-wasm")]
    public void The_profile_follows_the_instruction_sets(Architecture architecture, bool macOS, bool avx512Vnni, bool avxVnni, bool dotProduct, string expected)
    {
        var cpu = new HostCpu(architecture, macOS, avx512Vnni, avxVnni, dotProduct);

        Assert.Equal(expected, cpu.ProfileName);
        Assert.Equal(expected, ProfileCatalog.BuiltIn.ForHost(cpu).Name); // every name the detection gives is a built-in profile
    }

    [Fact]
    public void The_description_names_the_flags_that_decided()
    {
        Assert.Equal("x64, AVX-512 VNNI no, AVX-VNNI yes", new HostCpu(Architecture.X64, false, false, true, false).Describe());
        Assert.Equal("arm64, dot product (sdot) yes", new HostCpu(Architecture.Arm64, false, false, false, true).Describe());
    }

    [Fact]
    public void This_machine_is_read_from_cpuid_and_never_reports_less_than_the_runtime_does()
    {
        var host = HostCpu.Current;

        Assert.Equal(RuntimeInformation.ProcessArchitecture, host.Architecture);
        // .NET's IsSupported can only be false where the CPU has the instructions (a DOTNET_Enable* knob), never the reverse.
        Assert.True(host.Avx512Vnni || !Avx10v1.V512.IsSupported); // .NET 10 has no Avx512Vnni class; AVX10.1/512 includes it
        Assert.True(host.AvxVnni || !AvxVnni.IsSupported);
        if (X86Base.IsSupported)
        {
            Assert.Equal((X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0, host.Avx512Vnni);
        }

        Assert.Equal(host.ProfileName, ProfileCatalog.BuiltIn.ForHost().Name);
        Assert.Equal(host.ProfileName, ProfileCatalog.BuiltIn.Resolve(null).Name);
    }
}
