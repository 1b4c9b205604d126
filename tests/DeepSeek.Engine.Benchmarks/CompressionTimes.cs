using System.Diagnostics;
using DeepSeek.Engine.Compression;
using DeepSeek.Engine.Profiles;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary><c>--compress-times</c>: wall time of `deepseek compress` on ResNet-18 and on arctic-embed-xs per recipe (best of three runs).</summary>
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

        // arctic-embed-xs: each recipe's wall time, best of three, with the 16 calibration sentences (8 samples of 2).
        var sentences = ArcticXsSentences.Write(Path.Combine(folder, "sentences"), ArcticXsSentences.Calibration);
        var vnni = ProfileCatalog.BuiltIn.Get("x64-avx512vnni");
        Console.WriteLine();
        Console.WriteLine("arctic-embed-xs   best of 3   size     pooled cosine   timings of the best run (ms)");
        foreach (var quantize in new[] { "fp16", "int8-dynamic", "int4", "int8-static" })
        {
            var best = double.MaxValue;
            string line = "";
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    var r = Compressor.Run(new CompressionRequest { Input = ArcticXs.Instance.Model, Output = Path.Combine(folder, "arctic-" + quantize + ".onnx"), Profile = vnni, Quantize = quantize, CalibrationFolder = sentences });
                    var seconds = clock.Elapsed.TotalSeconds;
                    if (seconds < best)
                    {
                        best = seconds;
                        line = $"{quantize,-16}{best,6:F2} s  {r.SizeRatio,6:P1}  {r.Evaluation.Outputs[0].PooledCosine,10:F5}      {string.Join(", ", r.TimingsMs.Select(kv => $"{kv.Key} {kv.Value:F0}"))}";
                    }
                }
                catch (DeepSeek.Onnx.Diagnostics.DeepSeekException e)
                {
                    var seconds = clock.Elapsed.TotalSeconds;
                    if (seconds < best)
                    {
                        best = seconds;
                        line = $"{quantize,-16}{best,6:F2} s  refused: {e.Id} {e.Problem}";
                    }
                }
            }

            Console.WriteLine(line);
        }

        Directory.Delete(folder, recursive: true);
        return 0;
    }
}
