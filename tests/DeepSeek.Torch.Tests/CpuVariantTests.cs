using DeepSeek.Torch.Native;

namespace DeepSeek.Torch.Tests;

/// <summary>
/// These sources run twice in CI: as DeepSeek.Torch.Tests (this machine's kernels, oneDNN capped at AVX2) and as
/// DeepSeek.Torch.Tests.Sse41 (ATen's portable kernels, oneDNN at SSE4.1, from its test.runsettings). A variant whose
/// environment did not reach the test host would run the same kernels twice and prove nothing: this fails then.
/// </summary>
public sealed class CpuVariantTests
{
    [Fact]
    public void The_test_host_runs_under_the_kernels_its_project_names()
    {
        var variant = Environment.GetEnvironmentVariable("DEEPSEEK_TEST_CPU_VARIANT");
        if (typeof(CpuVariantTests).Assembly.GetName().Name!.EndsWith(".Sse41", StringComparison.Ordinal))
        {
            Assert.Equal("sse41", variant);
            Assert.Equal("default", NativeEnvironment.Get("ATEN_CPU_CAPABILITY"));
            Assert.Equal("SSE41", OneDnnIsaCap.Current);
            Assert.False(OneDnnIsaCap.AppliedByDeepSeek, "the user's ONEDNN_MAX_CPU_ISA must win over DeepSeek.Torch's cap");
        }
        else
        {
            Assert.Null(variant);
        }
    }
}
