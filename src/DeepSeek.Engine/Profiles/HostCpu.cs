using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Engine.Profiles;

/// <summary>
/// What the build machine's CPU can do, as far as the choice of a hardware profile goes. <see cref="ProfileName"/> is a pure
/// function of these flags, so every branch is testable on any machine; <see cref="Current"/> reads the flags of this one.
/// </summary>
/// <param name="Architecture">The process architecture.</param>
/// <param name="IsMacOS">Whether the OS is macOS (arm64 there is Apple silicon).</param>
/// <param name="Avx512Vnni">x64: AVX-512 VNNI (CPUID leaf 7, ECX bit 11).</param>
/// <param name="AvxVnni">x64: AVX-VNNI, the VEX-encoded 256-bit form (CPUID leaf 7 sub-leaf 1, EAX bit 4).</param>
/// <param name="ArmDotProduct">arm64: the SDOT/UDOT dot-product instructions (FEAT_DotProd).</param>
public sealed record HostCpu(Architecture Architecture, bool IsMacOS, bool Avx512Vnni, bool AvxVnni, bool ArmDotProduct)
{
    /// <summary>This machine's CPU.</summary>
    public static HostCpu Current { get; } = Read();

    /// <summary>
    /// The profile that matches this CPU: <c>x64-avx512vnni</c> with either VNNI form (ONNX Runtime's u8s8 kernels then use
    /// int8 dot products and do not saturate), <c>x64-avx2</c> otherwise; <c>apple-silicon</c> on macOS arm64, <c>arm64-neon</c>
    /// on other arm64 (with or without dot products: the profile's S8S8 form suits both); <c>browser-wasm</c> on wasm.
    /// </summary>
    public string ProfileName => Architecture switch
    {
        Architecture.Arm64 when IsMacOS => "apple-silicon",
        Architecture.Arm64 => "arm64-neon",
        Architecture.Wasm => "browser-wasm",
        Architecture.X64 or Architecture.X86 when Avx512Vnni || AvxVnni => "x64-avx512vnni",
        _ => "x64-avx2",
    };

    /// <summary>The instruction sets that decided the profile, in words (for <c>deepseek profiles</c>).</summary>
    public string Describe() => Architecture switch
    {
        Architecture.Arm64 => $"arm64{(IsMacOS ? " (macOS)" : "")}, dot product (sdot) {(ArmDotProduct ? "yes" : "no")}",
        Architecture.X64 or Architecture.X86 => $"{Architecture.ToString().ToLowerInvariant()}, AVX-512 VNNI {(Avx512Vnni ? "yes" : "no")}, AVX-VNNI {(AvxVnni ? "yes" : "no")}",
        _ => Architecture.ToString().ToLowerInvariant(),
    };

    private static HostCpu Read()
    {
        var architecture = RuntimeInformation.ProcessArchitecture;
        var (avx512Vnni, avxVnni) = architecture is Architecture.X64 or Architecture.X86 ? ReadVnni() : (false, false);
        return new HostCpu(architecture, OperatingSystem.IsMacOS(), avx512Vnni, avxVnni, architecture == Architecture.Arm64 && Dp.IsSupported);
    }

    /// <summary>
    /// Reads the VNNI flags from CPUID, not from .NET's <c>IsSupported</c> properties: those say what the .NET JIT may emit,
    /// and runtime knobs such as <c>DOTNET_EnableAVX512=0</c> (.NET 10; <c>EnableAVX512F</c> before) or <c>DOTNET_EnableAVX2=0</c> make them false on a CPU that has the instructions. The
    /// profile is about the kernels ONNX Runtime picks, and ONNX Runtime reads CPUID itself. Only where CPUID cannot be
    /// called (X86Base disabled) does this fall back to what .NET reports (.NET 10 has no Avx512Vnni class; AVX10.1/512
    /// includes AVX-512 VNNI).
    /// </summary>
    private static (bool Avx512Vnni, bool AvxVnni) ReadVnni()
    {
        if (!X86Base.IsSupported)
        {
            return (Avx10v1.V512.IsSupported, System.Runtime.Intrinsics.X86.AvxVnni.IsSupported);
        }

        try
        {
            var maxLeaf = X86Base.CpuId(0, 0).Eax;
            if (maxLeaf < 7)
            {
                return (false, false);
            }

            var leaf7 = X86Base.CpuId(7, 0);
            var avx512Vnni = (leaf7.Ecx & (1 << 11)) != 0;
            var avxVnni = leaf7.Eax >= 1 && (X86Base.CpuId(7, 1).Eax & (1 << 4)) != 0;
            return (avx512Vnni, avxVnni);
        }
        catch (PlatformNotSupportedException)
        {
            return (Avx10v1.V512.IsSupported, System.Runtime.Intrinsics.X86.AvxVnni.IsSupported);
        }
    }
}
