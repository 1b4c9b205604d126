namespace DeepSeek.Runtime.Kernels;

/// <summary>Which code path a kernel takes. <see cref="Auto"/> picks the widest accelerated one; the others force a path (tests, benchmarks).</summary>
public enum KernelPath
{
    /// <summary>The widest vector width the CPU accelerates.</summary>
    Auto,
    /// <summary>Plain scalar loops (the reference).</summary>
    Scalar,
    /// <summary>128-bit vectors (SSE/AdvSimd).</summary>
    Vector128,
    /// <summary>256-bit vectors (AVX2).</summary>
    Vector256,
    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}

/// <summary>Resolves <see cref="KernelPath.Auto"/> and refuses paths the CPU cannot run.</summary>
public static class KernelPaths
{
    /// <summary>The path a kernel will take for <paramref name="requested"/> on this CPU.</summary>
    public static KernelPath Resolve(KernelPath requested) => requested switch
    {
        KernelPath.Auto when System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated => KernelPath.Vector512,
        KernelPath.Auto when System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated => KernelPath.Vector256,
        KernelPath.Auto when System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated => KernelPath.Vector128,
        KernelPath.Auto => KernelPath.Scalar,
        KernelPath.Vector512 when !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated => throw Unsupported(requested),
        KernelPath.Vector256 when !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated => throw Unsupported(requested),
        KernelPath.Vector128 when !System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated => throw Unsupported(requested),
        _ => requested,
    };

    /// <summary>The paths this CPU can run, scalar first.</summary>
    public static IReadOnlyList<KernelPath> Available()
    {
        var paths = new List<KernelPath> { KernelPath.Scalar };
        if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
        {
            paths.Add(KernelPath.Vector128);
        }

        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            paths.Add(KernelPath.Vector256);
        }

        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            paths.Add(KernelPath.Vector512);
        }

        return paths;
    }

    private static PlatformNotSupportedException Unsupported(KernelPath path) => new($"this CPU does not accelerate {path}");
}
