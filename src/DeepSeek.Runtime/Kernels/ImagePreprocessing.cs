using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSeek.Runtime.Kernels;

/// <summary>
/// Interleaved 8-bit RGB pixels (HWC) to normalized planar floats (CHW): <c>out[c][i] = (rgb[i][c] / 255 − mean[c]) / std[c]</c>.
/// The 128-bit path de-interleaves 16 pixels at a time with byte shuffles (SSSE3 pshufb, AdvSimd tbl), widens to float and
/// applies one multiply-add per value; the 256-bit path (AVX2 + FMA) takes 8 pixels per load into aligned stores; the
/// 512-bit request runs the 256-bit path (wider gains nothing here).
/// </summary>
public static class ImagePreprocessing
{
    // Byte shuffles that gather R, G or B of 16 interleaved pixels from three 16-byte loads; indices >= 16 give 0.
    private static readonly byte[][] Gather = BuildGather();
    private static readonly Vector128<byte>[] Tables = Gather.Select(g => Vector128.Create(g)).ToArray();
    private static readonly Vector256<byte>[] DwordTables = [Vector256.Create(DwordGather(0)), Vector256.Create(DwordGather(1)), Vector256.Create(DwordGather(2))];

    /// <summary>Converts <paramref name="rgb"/> (pixels × 3 bytes) into <paramref name="chw"/> (3 planes of pixels floats).</summary>
    public static void RgbToChw(ReadOnlySpan<byte> rgb, Span<float> chw, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, KernelPath path = KernelPath.Auto)
    {
        if (rgb.Length % 3 != 0)
        {
            throw new ArgumentException("RGB data holds three bytes per pixel", nameof(rgb));
        }

        var pixels = rgb.Length / 3;
        if (chw.Length < pixels * 3)
        {
            throw new ArgumentException($"needs room for {pixels * 3} values", nameof(chw));
        }

        if (mean.Length != 3 || std.Length != 3)
        {
            throw new ArgumentException("mean and std have one value per channel (3)");
        }

        Span<float> scale = [1f / (255f * std[0]), 1f / (255f * std[1]), 1f / (255f * std[2])];
        Span<float> bias = [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]];
        var done = KernelPaths.Resolve(path) switch
        {
            KernelPath.Scalar => 0,
            var vector => Vectorized(rgb, chw, pixels, scale, bias, vector),
        };

        for (var i = done; i < pixels; i++)
        {
            chw[i] = (rgb[(i * 3) + 0] * scale[0]) + bias[0];
            chw[pixels + i] = (rgb[(i * 3) + 1] * scale[1]) + bias[1];
            chw[(2 * pixels) + i] = (rgb[(i * 3) + 2] * scale[2]) + bias[2];
        }
    }

    private static int Vectorized(ReadOnlySpan<byte> rgb, Span<float> chw, int pixels, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, KernelPath path)
    {
        // Building 512-bit vectors from the 128-bit de-interleave costs more than it saves (measured): 256 bits at most.
        if (path == KernelPath.Vector512)
        {
            path = Vector256.IsHardwareAccelerated ? KernelPath.Vector256 : KernelPath.Vector128;
        }

        if (path == KernelPath.Vector256 && System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            return Avx2Loop(rgb, chw, pixels, scale, bias);
        }

        ref var source = ref MemoryMarshal.GetReference(rgb);
        var tables = Tables;

        var i = 0;
        for (; i + 16 <= pixels; i += 16)
        {
            var v0 = Vector128.LoadUnsafe(ref source, (nuint)(i * 3));
            var v1 = Vector128.LoadUnsafe(ref source, (nuint)((i * 3) + 16));
            var v2 = Vector128.LoadUnsafe(ref source, (nuint)((i * 3) + 32));
            for (var c = 0; c < 3; c++)
            {
                var bytes = Lookup(v0, tables[c * 3]) | Lookup(v1, tables[(c * 3) + 1]) | Lookup(v2, tables[(c * 3) + 2]);
                Store(bytes, chw.Slice((c * pixels) + i, 16), scale[c], bias[c], path);
            }
        }

        return i;
    }

    /// <summary>
    /// x64 with AVX2 and FMA: 8 pixels per step from one 32-byte load; one cross-lane dword permute puts pixels 0–3 and 4–7
    /// in separate 128-bit lanes, then one in-lane byte shuffle per channel zero-extends its 8 bytes straight to 8 dwords,
    /// which are converted and scaled with one fused multiply-add. Stops where a 32-byte load would pass the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // kept out of the 128-bit loop, whose code a pinned local would slow down
    private static int Avx2Loop(ReadOnlySpan<byte> rgb, Span<float> chw, int pixels, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias)
    {
        var permute = Vector256.Create(0, 1, 2, 0, 3, 4, 5, 0);
        var red = DwordTables[0];
        var green = DwordTables[1];
        var blue = DwordTables[2];
        var scaleR = Vector256.Create(scale[0]);
        var scaleG = Vector256.Create(scale[1]);
        var scaleB = Vector256.Create(scale[2]);
        var biasR = Vector256.Create(bias[0]);
        var biasG = Vector256.Create(bias[1]);
        var biasB = Vector256.Create(bias[2]);
        ref var source = ref MemoryMarshal.GetReference(rgb);
        ref var planeR = ref MemoryMarshal.GetReference(chw);
        ref var planeG = ref Unsafe.Add(ref planeR, pixels);
        ref var planeB = ref Unsafe.Add(ref planeG, pixels);

        // 32-byte stores that straddle cache lines cost about half the speed: start the vector loop where the red plane is
        // 32-byte aligned (the green and blue planes are too when pixels is a multiple of 8, as for 224x224).
        var i = 0;
        unsafe
        {
            fixed (float* pinned = chw)
            {
                var head = Math.Min(pixels, (int)((32 - ((nuint)pinned % 32)) % 32 / sizeof(float)));
                for (; i < head; i++)
                {
                    Unsafe.Add(ref planeR, i) = (Unsafe.Add(ref source, i * 3) * scale[0]) + bias[0];
                    Unsafe.Add(ref planeG, i) = (Unsafe.Add(ref source, (i * 3) + 1) * scale[1]) + bias[1];
                    Unsafe.Add(ref planeB, i) = (Unsafe.Add(ref source, (i * 3) + 2) * scale[2]) + bias[2];
                }

                for (; i + 8 <= pixels && (i * 3) + 32 <= rgb.Length; i += 8)
                {
                    var v = System.Runtime.Intrinsics.X86.Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref source, (nuint)(i * 3)).AsInt32(), permute).AsByte();
                    var r = System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Single(System.Runtime.Intrinsics.X86.Avx2.Shuffle(v, red).AsInt32());
                    var g = System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Single(System.Runtime.Intrinsics.X86.Avx2.Shuffle(v, green).AsInt32());
                    var b = System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Single(System.Runtime.Intrinsics.X86.Avx2.Shuffle(v, blue).AsInt32());
                    System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(r, scaleR, biasR).StoreUnsafe(ref planeR, (nuint)i);
                    System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(g, scaleG, biasG).StoreUnsafe(ref planeG, (nuint)i);
                    System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(b, scaleB, biasB).StoreUnsafe(ref planeB, (nuint)i);
                }
            }
        }

        return i;
    }

    /// <summary>In-lane byte shuffle for <see cref="Avx2Loop"/>: channel <paramref name="channel"/> of 4 pixels to 4 zero-extended dwords, per lane.</summary>
    private static byte[] DwordGather(int channel)
    {
        var table = new byte[32];
        for (var lane = 0; lane < 2; lane++)
        {
            for (var pixel = 0; pixel < 4; pixel++)
            {
                var at = (lane * 16) + (pixel * 4);
                table[at] = (byte)((pixel * 3) + channel);
                table[at + 1] = table[at + 2] = table[at + 3] = 0x80;
            }
        }

        return table;
    }

    /// <summary>A byte table lookup that gives 0 for indices with the high bit set: pshufb on x64, tbl on arm64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lookup(Vector128<byte> source, Vector128<byte> indices)
    {
        if (System.Runtime.Intrinsics.X86.Ssse3.IsSupported)
        {
            return System.Runtime.Intrinsics.X86.Ssse3.Shuffle(source, indices);
        }

        if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported)
        {
            return System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.VectorTableLookup(source, indices);
        }

        return Vector128.Shuffle(source, indices);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<byte> bytes, Span<float> destination, float scale, float bias, KernelPath path)
    {
        ref var target = ref MemoryMarshal.GetReference(destination);
        if (path == KernelPath.Vector256 && System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            StoreAvx2(bytes, ref target, scale, bias);
            return;
        }

        var (low16, high16) = Vector128.Widen(bytes);
        var (a, b) = Vector128.Widen(low16);
        var (c, d) = Vector128.Widen(high16);
        var f0 = Vector128.ConvertToSingle(a.AsInt32());
        var f1 = Vector128.ConvertToSingle(b.AsInt32());
        var f2 = Vector128.ConvertToSingle(c.AsInt32());
        var f3 = Vector128.ConvertToSingle(d.AsInt32());
        switch (path)
        {
            case KernelPath.Vector512:
                var wide = Vector512.Create(Vector256.Create(f0, f1), Vector256.Create(f2, f3));
                ((wide * Vector512.Create(scale)) + Vector512.Create(bias)).StoreUnsafe(ref target);
                break;
            case KernelPath.Vector256:
                var s256 = Vector256.Create(scale);
                var b256 = Vector256.Create(bias);
                ((Vector256.Create(f0, f1) * s256) + b256).StoreUnsafe(ref target);
                ((Vector256.Create(f2, f3) * s256) + b256).StoreUnsafe(ref target, 8);
                break;
            default:
                var s128 = Vector128.Create(scale);
                var b128 = Vector128.Create(bias);
                ((f0 * s128) + b128).StoreUnsafe(ref target);
                ((f1 * s128) + b128).StoreUnsafe(ref target, 4);
                ((f2 * s128) + b128).StoreUnsafe(ref target, 8);
                ((f3 * s128) + b128).StoreUnsafe(ref target, 12);
                break;
        }
    }

    /// <summary>x64 with AVX2: vpmovzxbd widens 8 bytes to 8 ints in one instruction; then convert and one fused multiply-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreAvx2(Vector128<byte> bytes, ref float target, float scale, float bias)
    {
        var scaleX = Vector256.Create(scale);
        var biasX = Vector256.Create(bias);
        var lowInts = System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32(bytes);
        var highInts = System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32(System.Runtime.Intrinsics.X86.Sse2.ShiftRightLogical128BitLane(bytes, 8));
        System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Single(lowInts), scaleX, biasX).StoreUnsafe(ref target);
        System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Single(highInts), scaleX, biasX).StoreUnsafe(ref target, 8);
    }

    private static byte[][] BuildGather()
    {
        var tables = new byte[9][];
        for (var channel = 0; channel < 3; channel++)
        {
            for (var load = 0; load < 3; load++)
            {
                var table = new byte[16];
                for (var pixel = 0; pixel < 16; pixel++)
                {
                    var offset = (pixel * 3) + channel - (load * 16);
                    table[pixel] = offset is >= 0 and < 16 ? (byte)offset : (byte)0xFF;
                }

                tables[(channel * 3) + load] = table;
            }
        }

        return tables;
    }
}
