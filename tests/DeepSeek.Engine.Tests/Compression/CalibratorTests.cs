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
}
