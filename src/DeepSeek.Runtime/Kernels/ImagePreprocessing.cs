using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSeek.Runtime.Kernels;

/// <summary>
/// Interleaved 8-bit RGB pixels (HWC) to normalized planar floats (CHW): <c>out[c][i] = (rgb[i][c] / 255 − mean[c]) / std[c]</c>.
/// The vector paths de-interleave 16 pixels at a time with byte shuffles (SSSE3 pshufb, AdvSimd tbl), widen to float and
/// apply one multiply-add per value.
/// </summary>
public static class ImagePreprocessing
{
    // Byte shuffles that gather R, G or B of 16 interleaved pixels from three 16-byte loads; indices >= 16 give 0.
    private static readonly byte[][] Gather = BuildGather();

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
        ref var source = ref MemoryMarshal.GetReference(rgb);
        var i = 0;
        for (; i + 16 <= pixels; i += 16)
        {
            var v0 = Vector128.LoadUnsafe(ref source, (nuint)(i * 3));
            var v1 = Vector128.LoadUnsafe(ref source, (nuint)((i * 3) + 16));
            var v2 = Vector128.LoadUnsafe(ref source, (nuint)((i * 3) + 32));
            for (var c = 0; c < 3; c++)
            {
                var bytes = Vector128.Shuffle(v0, Vector128.Create(Gather[c * 3]))
                    | Vector128.Shuffle(v1, Vector128.Create(Gather[(c * 3) + 1]))
                    | Vector128.Shuffle(v2, Vector128.Create(Gather[(c * 3) + 2]));
                var plane = chw.Slice((c * pixels) + i, 16);
                Store(bytes, plane, scale[c], bias[c], path);
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<byte> bytes, Span<float> destination, float scale, float bias, KernelPath path)
    {
        var (low16, high16) = Vector128.Widen(bytes);
        var (a, b) = Vector128.Widen(low16);
        var (c, d) = Vector128.Widen(high16);
        var f0 = Vector128.ConvertToSingle(a.AsInt32());
        var f1 = Vector128.ConvertToSingle(b.AsInt32());
        var f2 = Vector128.ConvertToSingle(c.AsInt32());
        var f3 = Vector128.ConvertToSingle(d.AsInt32());
        ref var target = ref MemoryMarshal.GetReference(destination);
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
