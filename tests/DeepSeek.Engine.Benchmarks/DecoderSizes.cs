using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>
/// <c>--decoder-sizes [tiny|0.1B|1.2B|7B ...]</c>: `deepseek compress` (int4, int8-dynamic; this machine's profile, random
/// token ids) on generated decoder-only models of growing size (DecoderModels, external data), each as its own process under
/// <c>/usr/bin/time</c>: wall time, peak resident memory, output size (model and data) and next-token agreement. How the
/// engine's cost grows with the model. Build the CLI first: <c>dotnet build -c Release src/DeepSeek.Cli</c>.
/// </summary>
internal static class DecoderSizes
{
    public static int Run(string repository, IReadOnlyList<string> names)
    {
        var shapes = new[] { DecoderShape.Tiny, DecoderShape.Small, DecoderShape.Medium, DecoderShape.Large }
            .Where(s => names.Count == 0 || names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        var cli = Path.Combine(repository, "src", "DeepSeek.Cli", "bin", "Release", "net10.0", "DeepSeek.Cli.dll");
        var folder = Path.Combine(Path.GetTempPath(), "deepseek-bench-decoders");
        Console.WriteLine("shape   parameters   fp32 (model+data)   recipe         time      peak RSS   output          next-token   KL");
        foreach (var shape in shapes)
        {
            var clock = Stopwatch.StartNew();
            var model = DecoderModels.Write(shape, folder);
            var generated = clock.Elapsed.TotalSeconds;
            var source = new FileInfo(model).Length + new FileInfo(model + ".data").Length;
            foreach (var recipe in new[] { "int4", "int8-dynamic" })
            {
                var output = Path.Combine(folder, $"decoder-{shape.Name}.{recipe}.onnx");
                var report = output + ".json";
                var (seconds, peakKb, log) = Timed("dotnet", cli, "compress", model, "-o", output, "--quantize", recipe, "--accuracy-budget", "none", "--report", report);
                if (!File.Exists(report))
                {
                    Console.WriteLine($"{shape.Name,-7} {shape.Parameters,12:N0} {source / 1e9,14:F2} GB   {recipe,-13} failed after {seconds:F0} s, peak {peakKb / 1e6:F1} GB: {log.Trim().Split('\n').LastOrDefault()}");
                    continue;
                }

                using var json = JsonDocument.Parse(File.ReadAllText(report));
                var logits = json.RootElement.GetProperty("evaluation").GetProperty("outputs")[0];
                var bytes = json.RootElement.GetProperty("output").GetProperty("bytes").GetInt64();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{shape.Name,-7} {shape.Parameters,12:N0} {source / 1e9,14:F2} GB   {recipe,-13} {seconds,6:F1} s  {peakKb / 1e6,6:F2} GB   {bytes / 1e9,6:F3} GB {(double)bytes / source,6:P1}   {logits.GetProperty("positionAgreement").GetDouble(),8:P2}   {logits.GetProperty("klDivergence").GetDouble():G3}"));
                File.Delete(output);
                File.Delete(output + ".data");
            }

            Console.WriteLine($"        (generated in {generated:F0} s)");
        }

        return 0;
    }

    private static (double Seconds, long PeakKb, string Log) Timed(string program, params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("TIME %e %M");
        start.ArgumentList.Add(program);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var line = stderr.Split('\n').Last(l => l.StartsWith("TIME ", StringComparison.Ordinal)).Split(' ');
        return (double.Parse(line[1], CultureInfo.InvariantCulture), long.Parse(line[2], CultureInfo.InvariantCulture), stdout.Result + stderr);
    }
}
