using DeepSeek.Runtime.Text;

namespace DeepSeek.Runtime.Tests.Text;

/// <summary>
/// <see cref="Pooling"/> against straightforward scalar references (in double) on random data of odd sizes, so that
/// TensorPrimitives' vector bodies and tails both run; the variant projects repeat these under narrower vector widths.
/// </summary>
public sealed class PoolingTests
{
    private const float Tolerance = 1e-5f;

    public static readonly TheoryData<int, int, int> Shapes = new()
    {
        { 3, 7, 383 },
        { 1, 1, 1 },
        { 2, 5, 17 },
        { 4, 13, 384 },
        { 2, 3, 1031 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MeanPool_matches_the_masked_mean(int batch, int sequence, int size)
    {
        var random = new Random(batch * 1000 + size);
        var hidden = RandomFloats(random, batch * sequence * size);
        var mask = new long[batch * sequence];
        for (var b = 0; b < batch; b++)
        {
            // Row 0 keeps a prefix (padding at the end, as the tokenizer writes it); others mask tokens at random; the
            // last row of a batch of 3 or more masks every token out.
            var length = 1 + random.Next(sequence);
            for (var t = 0; t < sequence; t++)
            {
                mask[b * sequence + t] = b == 0 ? (t < length ? 1 : 0) : random.Next(3) == 0 ? 0 : 1;
                if (batch >= 3 && b == batch - 1)
                {
                    mask[b * sequence + t] = 0;
                }
            }
        }

        var pooled = new float[batch * size];
        Pooling.MeanPool(hidden, mask, batch, sequence, size, pooled);

        for (var b = 0; b < batch; b++)
        {
            double count = 0;
            for (var t = 0; t < sequence; t++)
            {
                count += mask[b * sequence + t];
            }

            for (var d = 0; d < size; d++)
            {
                double sum = 0;
                for (var t = 0; t < sequence; t++)
                {
                    sum += hidden[(b * sequence + t) * size + d] * (double)mask[b * sequence + t];
                }

                Assert.Equal(sum / Math.Max(count, 1e-9), pooled[b * size + d], Tolerance);
            }
        }

        if (batch >= 3)
        {
            Assert.All(pooled[((batch - 1) * size)..], v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void MeanPool_writes_only_the_shape_and_reads_only_its_part_of_longer_spans()
    {
        var hidden = RandomFloats(new Random(5), 2 * 3 * 7 + 11);
        var mask = new long[] { 1, 1, 0, 1, 0, 0, 9, 9 };
        var pooled = Enumerable.Repeat(42f, 2 * 7 + 3).ToArray();

        Pooling.MeanPool(hidden, mask, 2, 3, 7, pooled);

        Assert.All(pooled[14..], v => Assert.Equal(42f, v));
        for (var d = 0; d < 7; d++)
        {
            Assert.Equal((hidden[d] + hidden[7 + d]) / 2, pooled[d], Tolerance);
            Assert.Equal(hidden[21 + d], pooled[7 + d], Tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Cls_takes_each_sequence_s_first_token(int batch, int sequence, int size)
    {
        var hidden = RandomFloats(new Random(size), batch * sequence * size);
        var pooled = new float[batch * size];

        Pooling.Cls(hidden, batch, sequence, size, pooled);

        for (var b = 0; b < batch; b++)
        {
            Assert.Equal(hidden.AsSpan(b * sequence * size, size).ToArray(), pooled.AsSpan(b * size, size).ToArray());
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 383)]
    [InlineData(5, 384)]
    [InlineData(2, 1031)]
    public void L2Normalize_scales_each_row_to_unit_length_and_leaves_zero_rows_zero(int rows, int size)
    {
        var random = new Random(rows + size);
        var vectors = RandomFloats(random, rows * size);
        vectors.AsSpan(size * (rows / 2), size).Clear();
        var original = vectors.ToArray();

        Pooling.L2Normalize(vectors, size);

        for (var r = 0; r < rows; r++)
        {
            double norm = 0;
            for (var d = 0; d < size; d++)
            {
                norm += (double)original[r * size + d] * original[r * size + d];
            }

            norm = Math.Sqrt(norm);
            for (var d = 0; d < size; d++)
            {
                Assert.Equal(norm == 0 ? 0 : original[r * size + d] / norm, vectors[r * size + d], Tolerance);
            }
        }
    }

    [Fact]
    public void Shapes_that_do_not_fit_their_spans_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Pooling.MeanPool(new float[41], new long[6], 2, 3, 7, new float[14]));
        Assert.Equal("hidden", e.ParamName);
        Assert.Contains("batch × sequence × size = 42", e.Message, StringComparison.Ordinal);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => Pooling.MeanPool(new float[42], new long[5], 2, 3, 7, new float[14])).ParamName);
        Assert.Equal("pooled", Assert.Throws<ArgumentException>(() => Pooling.MeanPool(new float[42], new long[6], 2, 3, 7, new float[13])).ParamName);
        Assert.Equal("pooled", Assert.Throws<ArgumentException>(() => Pooling.Cls(new float[42], 2, 3, 7, new float[13])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pooling.MeanPool([], [], -1, 3, 7, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pooling.Cls([], 1, 0, 7, new float[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pooling.L2Normalize(new float[4], 0));
        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => Pooling.L2Normalize(new float[10], 4)).ParamName);
    }

    [Fact]
    public void A_shape_whose_element_count_overflows_is_refused_not_wrapped()
    {
        // int.MaxValue × int.MaxValue × 4 overflows long; 65536 × 65536 × 1 overflows int but not long: both are refused
        // by length, neither wraps to a small count.
        var e = Assert.Throws<ArgumentException>(() => Pooling.MeanPool(new float[16], new long[4], int.MaxValue, int.MaxValue, 4, new float[16]));
        Assert.Equal("hidden", e.ParamName);
        Assert.Equal("hidden", Assert.Throws<ArgumentException>(() => Pooling.Cls(new float[16], 65536, 65536, 1, new float[16])).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => Pooling.MeanPool(new float[16], new long[16], 65536, 65536, 0, new float[16])).ParamName);
    }

    [Fact]
    public void Empty_shapes_do_nothing()
    {
        Pooling.MeanPool([], [], 0, 3, 7, []);
        Pooling.Cls([], 0, 0, 7, []);
        Pooling.L2Normalize([], 5);
    }

    private static float[] RandomFloats(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 4 - 2);
        }

        return values;
    }
}
