using DeepSeek.Engine.Passes.Int8;

namespace DeepSeek.Engine.Tests.Passes;

public sealed class OutputErrorRoundingTests
{
    [Fact]
    public void Correlated_inputs_round_one_weight_up_so_that_the_errors_cancel()
    {
        // One output channel, two inputs that are always equal (covariance [[1, 1], [1, 1]]), scale 1, w = [0.4, 0.4].
        // To nearest: [0, 0], output error (0.4 + 0.4)² = 0.64. Moving the first up: (−0.6 + 0.4)² = 0.04; then moving the
        // second up too would give (−0.6 − 0.6)² = 1.44: it stays.
        sbyte[] q = [0, 0];
        var covariance = new OutputErrorRounding.PatchCovariance([2], [[1f, 1f, 1f, 1f]], 100);
        var moved = OutputErrorRounding.Round([0.4f, 0.4f], [1f], q, covariance, 63);
        Assert.Equal(1, moved);
        Assert.Equal([1, 0], q);

        // Independent inputs (identity covariance): nearest is already best, nothing moves.
        sbyte[] nearest = [0, 0];
        Assert.Equal(0, OutputErrorRounding.Round([0.4f, 0.4f], [1f], nearest, new OutputErrorRounding.PatchCovariance([2], [[1f, 0f, 0f, 1f]], 100), 63));
        Assert.Equal([0, 0], nearest);

        // A move never leaves the grid: at the top level (63) the first weight cannot go up, so the second does.
        sbyte[] top = [63, 0];
        Assert.Equal(1, OutputErrorRounding.Round([63.4f, 0.4f], [1f], top, new OutputErrorRounding.PatchCovariance([2], [[1f, 1f, 1f, 1f]], 100), 63));
        Assert.Equal([63, 1], top);
    }

    [Fact]
    public void The_patch_covariance_is_the_damped_covariance_of_the_input_windows()
    {
        // A 1x1 Conv over 2 channels of a 1x8 map: the patches alternate (0, 0) and (2, 4). Mean (1, 2); covariance
        // [[1, 2], [2, 4]]; damping 0.1 · trace / 2 = 0.25 on the diagonal. 8 patches = 4 per value of the one 2x2 block.
        var geometry = new OutputErrorRounding.ConvGeometry(2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        var builder = new OutputErrorRounding.CovarianceBuilder(geometry, 1, 8, 1);
        Assert.True(builder.Reliable);
        builder.Add([0, 2, 0, 2, 0, 2, 0, 2, 0, 4, 0, 4, 0, 4, 0, 4], 1, 1, 8);
        var covariance = builder.Build()!;
        Assert.Equal(8, covariance.Patches);
        Assert.Equal([2], covariance.Sizes);
        Assert.Equal([1.25f, 2f, 2f, 4.25f], covariance.Blocks[0]);

        // Fewer than 4 patches per value: not reliable, nothing is held.
        var few = new OutputErrorRounding.CovarianceBuilder(geometry, 1, 4, 1);
        Assert.False(few.Reliable);
        few.Add([0, 2, 0, 2, 0, 4, 0, 4], 1, 1, 4);
        Assert.Null(few.Build());
    }

    [Fact]
    public void Padding_and_stride_place_each_window_as_the_Conv_reads_it()
    {
        // A 3x3 Conv, stride 2, pads 1, on one channel of 4x4 = 0..15: output 2x2, windows centred at (0,0), (0,2), (2,0), (2,2).
        // The window at (0,0) reads row −1 and column −1 as 0. Covariance of 4 patches of 9 values: 36 patches needed, so
        // 9 samples of the same map give 36 patches, and the covariance is that of the 4 windows.
        var geometry = new OutputErrorRounding.ConvGeometry(1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1);
        var builder = new OutputErrorRounding.CovarianceBuilder(geometry, 4, 4, 9);
        var map = Enumerable.Range(0, 16).Select(v => (float)v).ToArray();
        for (var s = 0; s < 9; s++)
        {
            builder.Add(map, 1, 4, 4);
        }

        var covariance = builder.Build()!;
        float[][] windows =
        [
            [0, 0, 0, 0, 0, 1, 0, 4, 5],
            [0, 0, 0, 1, 2, 3, 5, 6, 7],
            [0, 4, 5, 0, 8, 9, 0, 12, 13],
            [5, 6, 7, 9, 10, 11, 13, 14, 15],
        ];
        double Mean(int i) => windows.Average(w => (double)w[i]);
        double Cov(int i, int j) => windows.Average(w => (w[i] - Mean(i)) * (w[j] - Mean(j)));
        var damping = 0.1 * Enumerable.Range(0, 9).Sum(i => Cov(i, i)) / 9;
        for (var i = 0; i < 9; i++)
        {
            for (var j = 0; j < 9; j++)
            {
                Assert.Equal(Cov(i, j) + (i == j ? damping : 0), covariance.Blocks[0][(i * 9) + j], 3);
            }
        }
    }
}
