namespace DeepSeek.Engine.Passes.Int8;

/// <summary>The observed range of an activation tensor over the calibration set.</summary>
/// <param name="Min">The smallest value seen (or the low percentile).</param>
/// <param name="Max">The largest value seen (or the high percentile).</param>
public readonly record struct ActivationRange(float Min, float Max)
{
    /// <summary>
    /// Affine int8 parameters for this range, widened to include 0 (so that 0 is exact): scale and zero point for
    /// uint8 ([0, 255]) or int8 ([-128, 127]).
    /// </summary>
    public (float Scale, int ZeroPoint) Parameters(bool unsigned)
    {
        var min = MathF.Min(Min, 0f);
        var max = MathF.Max(Max, 0f);
        var scale = (max - min) / 255f;
        if (!(scale > 0f) || !float.IsFinite(scale))
        {
            scale = 1f;
        }

        var qmin = unsigned ? 0 : -128;
        var zeroPoint = (int)Math.Clamp(MathF.Round(qmin - (min / scale), MidpointRounding.ToEven), qmin, qmin + 255);
        return (scale, zeroPoint);
    }
}
