using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

public sealed class CalibratorTests
{
    [Fact]
    public void MinMax_keeps_an_outlier_and_Percentile_clips_it()
    {
        using var temp = new TempDirectory();
        var path = new ModelBuilder(8, 13).Input("x", "N", 1000).Node("Relu", ["x"], ["y"]).Output("y", "N", 1000).Save(temp.File("relu.onnx"));
        var model = ModelReader.Read(path);
        var samples = new List<IReadOnlyDictionary<string, TensorValue>>();
        var random = new Random(1);
        for (var s = 0; s < 20; s++)
        {
            var values = Enumerable.Range(0, 1000).Select(_ => (float)random.NextDouble()).ToArray();
            if (s == 7)
            {
                values[3] = 1000f; // one value in 20,000
            }

            samples.Add(new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(values, 1, 1000) });
        }

        var minMax = Calibrator.Run(model, samples, CalibrationMethod.MinMax);
        var percentile = Calibrator.Run(model, samples, CalibrationMethod.Percentile);

        Assert.Equal(1000f, minMax.Ranges["y"].Max);
        Assert.InRange(percentile.Ranges["y"].Max, 0.9f, 2f);
        Assert.Equal(minMax.Ranges["y"].Min, percentile.Ranges["y"].Min);
        // Channel means for [N, C] values: channel 3 carries the outlier's share.
        Assert.Equal(1000, minMax.ChannelMeans["x"].Length);
        Assert.InRange(minMax.ChannelMeans["x"][3], 50f, 51f);
    }

    [Fact]
    public void Mse_cuts_a_far_outlier_where_rounding_noise_and_clipping_error_balance()
    {
        // 2048 bins of width 1 (extent 2048): a million values in bin 9 (centre 9.5) and one in the last bin (centre 2047.5).
        // Cutting at edge i: the million values carry rounding noise (i / 255)² / 12 each, the outlier (2047.5 − i)².
        // E(i) = 10⁶·i² / (12·255²) + (2047.5 − i)², least at i = 2047.5 / (1 + 10⁶ / 780300) = 897.4: the cut is edge 897.
        var histogram = new long[2048];
        histogram[9] = 1_000_000;
        histogram[2047] = 1;
        var side = new Calibrator.Side(histogram, 2048);
        var (high, _) = Calibrator.BestCuts(side, null, 1_000_001);
        Assert.Equal(897, high);
        Assert.Equal(897f, side.Edge(high));
        Assert.Equal((2047.5 - 897) * (2047.5 - 897), side.Clipped(897).Error, 1e-6);
        Assert.Equal(1, side.Clipped(897).Count);

        // The same histogram on the negative side cuts the same way.
        Assert.Equal(897, Calibrator.BestCuts(null, side, 1_000_001).Low);
    }

    [Fact]
    public void Mse_keeps_most_of_an_outlier_whose_clipping_would_cost_more_than_its_rounding_noise()
    {
        // The Relu data of the first test: 19,999 values in (0, 1) and one 1000, whose bin (the last of 2048 over [0, 1000]) has
        // its centre at c = 999.76. Cutting at x: the other values carry rounding noise (x / 255)² / 12 each, the outlier
        // (c − x)²; least at x = c / (1 + 19,999 / (12·255²)) = 974.8 (cutting near 1 would cost (c − 1)² ≈ 998,000). Percentile
        // clips it to about 1; Mse keeps the range near 1000, at a bin edge (1000 / 2048 apart).
        using var temp = new TempDirectory();
        var path = new ModelBuilder(8, 13).Input("x", "N", 1000).Node("Relu", ["x"], ["y"]).Output("y", "N", 1000).Save(temp.File("relu.onnx"));
        var random = new Random(1);
        var samples = Enumerable.Range(0, 20).Select(s =>
        {
            var values = Enumerable.Range(0, 1000).Select(_ => (float)random.NextDouble()).ToArray();
            values[3] = s == 7 ? 1000f : values[3];
            return (IReadOnlyDictionary<string, TensorValue>)new Dictionary<string, TensorValue> { ["x"] = TensorValue.Create(values, 1, 1000) };
        }).ToList();

        var mse = Calibrator.Run(ModelReader.Read(path), samples, CalibrationMethod.Mse);
        var centre = 2047.5 / 2048 * 1000;
        var best = centre / (1 + (19_999 / (12.0 * 255 * 255)));
        Assert.InRange(mse.Ranges["y"].Max, best - (1000.0 / 2048), best + (1000.0 / 2048));
        Assert.InRange(mse.Ranges["y"].Min, 0f, 1e-3f); // no negative values: the smallest seen, as MinMax
    }
}
