using System.Reflection;
using System.Runtime.Intrinsics;
using DeepSeek.Runtime.Kernels;

namespace DeepSeek.Runtime.Tests;

/// <summary>
/// Which path <see cref="KernelPath.Auto"/> takes in this test process. A variant project (tests/TestVariant.props) names the
/// widest path its runtime knobs leave (<c>KernelCeiling</c>): if a knob does not apply (a misspelt or retired name, such as
/// <c>DOTNET_EnableAVX512F</c> on .NET 10, or a run settings file that is not read), a wider path stays accelerated here and
/// the test fails instead of the variant silently running the default paths again.
/// </summary>
public sealed class KernelPathTests
{
    private static KernelPath Ceiling()
    {
        var value = typeof(KernelPathTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "KernelCeiling")?.Value;
        return value is null ? KernelPath.Vector512 : Enum.Parse<KernelPath>(value);
    }

    [Fact]
    public void No_path_wider_than_the_variant_ceiling_is_accelerated()
    {
        var ceiling = Ceiling();
        Assert.False(ceiling < KernelPath.Vector512 && Vector512.IsHardwareAccelerated, $"Vector512 is accelerated under a {ceiling} ceiling: the knob did not apply");
        Assert.False(ceiling < KernelPath.Vector256 && Vector256.IsHardwareAccelerated, $"Vector256 is accelerated under a {ceiling} ceiling: the knob did not apply");
        Assert.False(ceiling < KernelPath.Vector128 && Vector128.IsHardwareAccelerated, $"Vector128 is accelerated under a {ceiling} ceiling: the knob did not apply");
    }

    [Fact]
    public void Auto_takes_the_widest_accelerated_path_and_forcing_a_wider_one_throws()
    {
        var widest = KernelPaths.Available()[^1];
        Assert.Equal(widest, KernelPaths.Resolve(KernelPath.Auto));
        Assert.True(widest <= Ceiling());
        foreach (var wider in Enum.GetValues<KernelPath>().Where(p => p > widest))
        {
            Assert.Throws<PlatformNotSupportedException>(() => KernelPaths.Resolve(wider));
            Assert.Throws<PlatformNotSupportedException>(() => Postprocessing.ArgMax([1f, 2f], wider));
        }
    }
}
