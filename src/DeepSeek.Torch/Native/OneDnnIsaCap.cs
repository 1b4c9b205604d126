using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepSeek.Torch.Native;

/// <summary>
/// Caps the instruction set of libtorch's oneDNN (mkldnn) CPU kernels at SSE4.1 on x64, before the first convolution
/// reads it. On an AMD EPYC with AVX-512 (issue 11) plain TorchSharp training got NaN gradients at its first backward in
/// 12 of 20 identical runs under oneDNN's AVX-512 convolutions and in 0 of 20 with <c>ONEDNN_MAX_CPU_ISA=AVX2</c>; the
/// AVX-512 kernels block channels by 16, so the 8- and 12-channel layers of small models run on padded layouts. Under that AVX2
/// cap, on another AMD EPYC with AVX-512 (issue 15), the AVX2 kernels (blocks of 8) did the same to the 12-channel pruned
/// MNIST student: NaN activations or gradients in 3 of 3 runs of samples/TorchMnist, none in 2 runs under SSE4.1 (blocks
/// of 4), whose teacher trained in the same time (30–38 s against 29–37 s).
/// </summary>
/// <remarks>
/// Opt out by setting <c>ONEDNN_MAX_CPU_ISA</c> (or the older <c>DNNL_MAX_CPU_ISA</c>) yourself, for example to <c>ALL</c>:
/// a value that is already set is never changed. oneDNN reads the variable once, when it first dispatches a kernel; the cap
/// is applied when DeepSeek.Torch loads (a module initializer), so it holds for every convolution that runs after any
/// DeepSeek.Torch type is first used. Code that runs convolutions before that calls <see cref="Apply"/> first.
/// </remarks>
public static class OneDnnIsaCap
{
    /// <summary>The variable oneDNN reads.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The cap applied when the variable is not set.</summary>
    public const string Cap = "SSE41";

    private const string LegacyVariable = "DNNL_MAX_CPU_ISA";
    private static readonly object Gate = new();

    /// <summary>The value oneDNN will read (the process environment as native code sees it), or null when unset.</summary>
    public static string? Current => NativeEnvironment.Get(Variable);

    /// <summary>True when this process's cap came from DeepSeek.Torch rather than from the user.</summary>
    public static bool AppliedByDeepSeek { get; private set; }

    /// <summary>Sets <c>ONEDNN_MAX_CPU_ISA=SSE41</c> on x64 unless it (or <c>DNNL_MAX_CPU_ISA</c>) is set; idempotent.</summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (RuntimeInformation.ProcessArchitecture != Architecture.X64
                || NativeEnvironment.Get(Variable) is not null
                || NativeEnvironment.Get(LegacyVariable) is not null)
            {
                return;
            }

            NativeEnvironment.Set(Variable, Cap);
            AppliedByDeepSeek = true;
        }
    }

#pragma warning disable CA2255 // a library initializer on purpose: the cap must precede libtorch's first convolution
    [ModuleInitializer]
    internal static void ApplyOnLoad() => Apply();
#pragma warning restore CA2255
}
