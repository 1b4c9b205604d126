namespace DeepSeek.Engine.Passes.Int8;

/// <summary>Symmetric per-channel quantization of weights to int8 with a chosen number of bits (7 or 8).</summary>
public static class WeightQuantization
{
    /// <summary>The largest magnitude a symmetric weight may take: 127 for 8 bits, 63 for 7.</summary>
    public static int MaxLevel(int bits) => bits switch
    {
        8 => 127,
        7 => 63,
        4 => 7,
        _ => throw new ArgumentOutOfRangeException(nameof(bits), bits, "weights use 4, 7 or 8 bits"),
    };

    /// <summary>
    /// Quantizes <paramref name="weights"/> laid out as [channels, inner] (Conv: output channel first) per channel.
    /// Returns the int8 values and one scale per channel (a channel of zeros gets scale 1).
    /// </summary>
    public static (sbyte[] Values, float[] Scales) PerOuterChannel(ReadOnlySpan<float> weights, int channels, int bits)
    {
        var inner = weights.Length / channels;
        var level = MaxLevel(bits);
        var values = new sbyte[weights.Length];
        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var row = weights.Slice(c * inner, inner);
            var max = 0f;
            foreach (var w in row)
            {
                max = MathF.Max(max, MathF.Abs(w));
            }

            var scale = max > 0 ? BestScale(row, max, level) : 1f;
            scales[c] = scale;
            for (var i = 0; i < inner; i++)
            {
                values[(c * inner) + i] = (sbyte)Math.Clamp(MathF.Round(row[i] / scale, MidpointRounding.ToEven), -level, level);
            }
        }

        return (values, scales);
    }

    /// <summary>
    /// The scale that minimizes the squared error of the channel's weights: the range is clipped at 100%, 95%, ... 50% of the
    /// largest magnitude, and the clip with the least error wins. A few outliers then no longer cost every other weight its
    /// precision, which matters most at 7 bits.
    /// </summary>
    private static float BestScale(ReadOnlySpan<float> row, float max, int level)
    {
        var best = max / level;
        var bestError = double.MaxValue;
        for (var step = 0; step <= 10; step++)
        {
            var scale = max * (1f - (0.05f * step)) / level;
            double error = 0;
            foreach (var w in row)
            {
                var q = Math.Clamp(MathF.Round(w / scale, MidpointRounding.ToEven), -level, level);
                var d = w - (q * scale);
                error += d * d;
            }

            if (error < bestError)
            {
                bestError = error;
                best = scale;
            }
        }

        return best;
    }

    /// <summary>Quantizes a [rows, columns] matrix (MatMul's B: K x N) per column, each column's scale chosen by error as for
    /// <see cref="PerOuterChannel"/>.</summary>
    public static (sbyte[] Values, float[] Scales) PerColumn(ReadOnlySpan<float> matrix, int rows, int columns, int bits)
    {
        var transposed = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                transposed[(c * rows) + r] = matrix[(r * columns) + c];
            }
        }

        var (byColumn, scales) = PerOuterChannel(transposed, columns, bits);
        var values = new sbyte[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                values[(r * columns) + c] = byColumn[(c * rows) + r];
            }
        }

        return (values, scales);
    }
}
