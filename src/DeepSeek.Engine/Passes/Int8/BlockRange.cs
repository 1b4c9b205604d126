using System.Numerics;

namespace DeepSeek.Engine.Passes.Int8;

/// <summary>
/// The scale and zero point of one block of weights (4 or 8 bits, asymmetric or symmetric) chosen by error: the block's range
/// is clipped at 100 %, 95 % ... 70 % and the clip whose rounded values have the least squared error wins (the full range on
/// a tie, so a block that the full range represents exactly keeps it). Min/max alone lets one outlier cost every other weight
/// of the block its precision.
/// </summary>
internal static class BlockRange
{
    private const int Steps = 7;

    /// <summary>(scale, zero point) for <paramref name="block"/> with <paramref name="levels"/> + 1 codes (15 for 4 bits).
    /// Symmetric: zero point at the middle code, scale from the largest magnitude.</summary>
    public static (float Scale, int ZeroPoint) Choose(ReadOnlySpan<float> block, int levels, bool symmetric)
    {
        float min = 0, max = 0, peak = 0;
        foreach (var v in block)
        {
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
            peak = MathF.Max(peak, MathF.Abs(v));
        }

        var middle = (levels + 1) / 2;
        var best = Candidate(1f);
        if (best.Scale == 1f && min == max)
        {
            return best; // an all-zero block
        }

        var bestError = Error(block, best, levels);
        for (var step = 1; step < Steps && bestError > 0; step++)
        {
            var candidate = Candidate(1f - (0.05f * step));
            var error = Error(block, candidate, levels);
            if (error < bestError)
            {
                (best, bestError) = (candidate, error);
            }
        }

        return best;

        (float Scale, int ZeroPoint) Candidate(float clip)
        {
            if (symmetric)
            {
                return (peak > 0 ? peak * clip / (middle - 1) : 1f, middle);
            }

            var (lo, hi) = (min * clip, max * clip);
            var scale = hi > lo ? (hi - lo) / levels : 1f;
            return (scale, (int)Math.Clamp(MathF.Round(-lo / scale, MidpointRounding.ToEven), 0, levels));
        }
    }

    /// <summary>The code of <paramref name="value"/> in a block with these parameters.</summary>
    public static int Code(float value, (float Scale, int ZeroPoint) p, int levels)
        => (int)Math.Clamp(MathF.Round(value / p.Scale, MidpointRounding.ToEven) + p.ZeroPoint, 0, levels);

    private static double Error(ReadOnlySpan<float> block, (float Scale, int ZeroPoint) p, int levels)
    {
        // SIMD over whole vectors (the same operations as Code: divide, round to even, shift, clamp), scalar for the rest.
        double error = 0;
        var width = Vector<float>.Count;
        var whole = block.Length - (block.Length % width);
        if (whole > 0)
        {
            Vector<float> scale = new(p.Scale), zero = new(p.ZeroPoint), top = new(levels), sum = Vector<float>.Zero;
            for (var i = 0; i < whole; i += width)
            {
                var v = new Vector<float>(block[i..]);
                var code = Vector.Min(Vector.Max(Vector.Round(v / scale) + zero, Vector<float>.Zero), top);
                var d = v - ((code - zero) * scale);
                sum += d * d;
            }

            error = Vector.Sum(sum);
        }

        foreach (var v in block[whole..])
        {
            var d = v - ((Code(v, p, levels) - p.ZeroPoint) * p.Scale);
            error += d * d;
        }

        return error;
    }
}
