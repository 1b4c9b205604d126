using System.Diagnostics;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary><c>--compress-times</c>: wall time of `deepseek compress` on ResNet-18 per recipe (best of three runs).</summary>
internal static class CompressionTimes
{
    public static int Run()
    {
        var calibration = Photos.Folder("calibration", 64);
        var folder = Directory.CreateTempSubdirectory("deepseek-bench-times-").FullName;
        var profile = ProfileCatalog.BuiltIn.Get("x64-avx2");
        Console.WriteLine("recipe            best of 3   size     cosine (calibration set)   timings of the best run (ms)");
        foreach (var (quantize, data) in new[] { ("fp16", (string?)null), ("int8-dynamic", null), ("int8-static", calibration) })
        {
            var best = double.MaxValue;
            CompressionReport? report = null;
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                var r = Compressor.Run(new CompressionRequest { Input = TestAssets.ResNet18, Output = Path.Combine(folder, quantize + ".onnx"), Profile = profile, Quantize = quantize, CalibrationFolder = data });
                var seconds = clock.Elapsed.TotalSeconds;
                if (seconds < best)
                {
                    best = seconds;
                    report = r;
                }
            }

            Console.WriteLine($"{quantize + (data is null ? "" : " (64 samples)"),-26}{best,6:F2} s  {report!.SizeRatio,6:P1}  {report.Evaluation.Outputs[0].MeanCosine,10:F5}      {string.Join(", ", report.TimingsMs.Select(kv => $"{kv.Key} {kv.Value:F0}"))}");
        }

        Directory.Delete(folder, recursive: true);
        return 0;
    }
}
