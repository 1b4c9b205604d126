using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSeek.Runtime.Kernels;

/// <summary>
/// Output post-processing: arg-max, softmax, L2 normalization, top-k and dequantization, with vector paths and a scalar
/// reference (dequantization widens 16 values per step with 128-bit vectors on every vector path).
/// </summary>
public static class Postprocessing
{
    /// <summary>The index of the largest value (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values, KernelPath path = KernelPath.Auto)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("no values", nameof(values));
        }

        var max = Max(values, KernelPaths.Resolve(path));
        return values.IndexOf(max);
    }

    /// <summary><c>output[i] = exp(x[i] − max) / Σ exp(x − max)</c>.</summary>
    public static void Softmax(ReadOnlySpan<float> values, Span<float> output, KernelPath path = KernelPath.Auto)
    {
        if (output.Length < values.Length)
        {
            throw new ArgumentException("output is shorter than the values", nameof(output));
        }

        var resolved = KernelPaths.Resolve(path);
        var max = Max(values, resolved);
        float sum = 0;
        for (var i = 0; i < values.Length; i++)
        {
            output[i] = MathF.Exp(values[i] - max);
            sum += output[i];
        }

        Scale(output[..values.Length], 1f / sum, resolved);
    }

    /// <summary>Scales <paramref name="values"/> in place to unit L2 norm (a zero vector stays zero).</summary>
    public static void L2Normalize(Span<float> values, KernelPath path = KernelPath.Auto)
    {
        var resolved = KernelPaths.Resolve(path);
        var norm = MathF.Sqrt(SumOfSquares(values, resolved));
        if (norm > 0)
        {
            Scale(values, 1f / norm, resolved);
        }
    }

    /// <summary><c>values[i] = (q[i] − zeroPoint) × scale</c> for uint8 outputs.</summary>
    public static void Dequantize(ReadOnlySpan<byte> quantized, float scale, int zeroPoint, Span<float> values, KernelPath path = KernelPath.Auto)
        => Dequantize(quantized, scale, zeroPoint, values, path, flipSign: false);

    /// <summary>
    /// <c>values[i] = (q[i] − zeroPoint) × scale</c> for int8 outputs: the bytes with their sign bit flipped are
    /// <c>q + 128</c>, so the uint8 loop with zero point <c>zeroPoint + 128</c> gives the same differences exactly.
    /// </summary>
    public static void Dequantize(ReadOnlySpan<sbyte> quantized, float scale, int zeroPoint, Span<float> values, KernelPath path = KernelPath.Auto)
        => Dequantize(MemoryMarshal.AsBytes(quantized), scale, zeroPoint + 128, values, path, flipSign: true);

    private static void Dequantize(ReadOnlySpan<byte> quantized, float scale, int zeroPoint, Span<float> values, KernelPath path, bool flipSign)
    {
        if (values.Length < quantized.Length)
        {
            throw new ArgumentException("values is shorter than the quantized data", nameof(values));
        }

        var flip = flipSign ? (byte)0x80 : (byte)0;
        var i = 0;
        if (KernelPaths.Resolve(path) != KernelPath.Scalar)
        {
            ref var source = ref MemoryMarshal.GetReference(quantized);
            ref var target = ref MemoryMarshal.GetReference(values);
            var s = Vector128.Create(scale);
            var z = Vector128.Create((float)zeroPoint);
            var f = Vector128.Create(flip);
            for (; i + 16 <= quantized.Length; i += 16)
            {
                var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref source, (nuint)i) ^ f);
                var (a, b) = Vector128.Widen(low);
                var (c, d) = Vector128.Widen(high);
                ((Vector128.ConvertToSingle(a.AsInt32()) - z) * s).StoreUnsafe(ref target, (nuint)i);
                ((Vector128.ConvertToSingle(b.AsInt32()) - z) * s).StoreUnsafe(ref target, (nuint)(i + 4));
                ((Vector128.ConvertToSingle(c.AsInt32()) - z) * s).StoreUnsafe(ref target, (nuint)(i + 8));
                ((Vector128.ConvertToSingle(d.AsInt32()) - z) * s).StoreUnsafe(ref target, (nuint)(i + 12));
            }
        }

        for (; i < quantized.Length; i++)
        {
            values[i] = ((quantized[i] ^ flip) - zeroPoint) * scale;
        }
    }

    /// <summary>The <paramref name="indices"/>.Length largest values, largest first, with their indices.</summary>
    public static void TopK(ReadOnlySpan<float> values, Span<int> indices, Span<float> topValues)
    {
        var k = Math.Min(indices.Length, values.Length);
        for (var slot = 0; slot < k; slot++)
        {
            var best = -1;
            for (var i = 0; i < values.Length; i++)
            {
                if ((best < 0 || values[i] > values[best]) && indices[..slot].IndexOf(i) < 0)
                {
                    best = i;
                }
            }

            indices[slot] = best;
            topValues[slot] = values[best];
        }
    }

    private static float Max(ReadOnlySpan<float> values, KernelPath path)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var i = 0;
        var max = float.NegativeInfinity;
        switch (path)
        {
            case KernelPath.Vector512 when values.Length >= 16:
                var m512 = Vector512.LoadUnsafe(ref start);
                for (i = 16; i + 16 <= values.Length; i += 16)
                {
                    m512 = Vector512.Max(m512, Vector512.LoadUnsafe(ref start, (nuint)i));
                }

                for (var lane = 0; lane < 16; lane++)
                {
                    max = MathF.Max(max, m512[lane]);
                }

                break;
            case KernelPath.Vector256 when values.Length >= 8:
                var m256 = Vector256.LoadUnsafe(ref start);
                for (i = 8; i + 8 <= values.Length; i += 8)
                {
                    m256 = Vector256.Max(m256, Vector256.LoadUnsafe(ref start, (nuint)i));
                }

                for (var lane = 0; lane < 8; lane++)
                {
                    max = MathF.Max(max, m256[lane]);
                }

                break;
            case KernelPath.Vector128 when values.Length >= 4:
                var m128 = Vector128.LoadUnsafe(ref start);
                for (i = 4; i + 4 <= values.Length; i += 4)
                {
                    m128 = Vector128.Max(m128, Vector128.LoadUnsafe(ref start, (nuint)i));
                }

                for (var lane = 0; lane < 4; lane++)
                {
                    max = MathF.Max(max, m128[lane]);
                }

                break;
        }

        for (; i < values.Length; i++)
        {
            max = MathF.Max(max, values[i]);
        }

        return max;
    }

    private static float SumOfSquares(ReadOnlySpan<float> values, KernelPath path)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var i = 0;
        float sum = 0;
        switch (path)
        {
            case KernelPath.Vector512:
                var s512 = Vector512<float>.Zero;
                for (; i + 16 <= values.Length; i += 16)
                {
                    var v = Vector512.LoadUnsafe(ref start, (nuint)i);
                    s512 += v * v;
                }

                sum = Vector512.Sum(s512);
                break;
            case KernelPath.Vector256:
                var s256 = Vector256<float>.Zero;
                for (; i + 8 <= values.Length; i += 8)
                {
                    var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                    s256 += v * v;
                }

                sum = Vector256.Sum(s256);
                break;
            case KernelPath.Vector128:
                var s128 = Vector128<float>.Zero;
                for (; i + 4 <= values.Length; i += 4)
                {
                    var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                    s128 += v * v;
                }

                sum = Vector128.Sum(s128);
                break;
        }

        for (; i < values.Length; i++)
        {
            sum += values[i] * values[i];
        }

        return sum;
    }

    private static void Scale(Span<float> values, float factor, KernelPath path)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var i = 0;
        switch (path)
        {
            case KernelPath.Vector512:
                for (; i + 16 <= values.Length; i += 16)
                {
                    (Vector512.LoadUnsafe(ref start, (nuint)i) * factor).StoreUnsafe(ref start, (nuint)i);
                }

                break;
            case KernelPath.Vector256:
                for (; i + 8 <= values.Length; i += 8)
                {
                    (Vector256.LoadUnsafe(ref start, (nuint)i) * factor).StoreUnsafe(ref start, (nuint)i);
                }

                break;
            case KernelPath.Vector128:
                for (; i + 4 <= values.Length; i += 4)
                {
                    (Vector128.LoadUnsafe(ref start, (nuint)i) * factor).StoreUnsafe(ref start, (nuint)i);
                }

                break;
        }

        for (; i < values.Length; i++)
        {
            values[i] *= factor;
        }
    }
}
