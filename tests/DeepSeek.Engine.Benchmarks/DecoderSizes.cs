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
    /// <summary>The memory budget each shape is compressed under unless <c>--max-memory</c> gives one for all: the issue's
    /// targets leave room for the process itself (the .NET runtime, ONNX Runtime's arenas) beside the budgeted weights.</summary>
    private static readonly Dictionary<string, string> Budgets = new(StringComparer.OrdinalIgnoreCase) { ["1.2B"] = "2GB", ["7B"] = "8GB" };

    public static int Run(string repository, IReadOnlyList<string> names, string? maxMemory = null, IReadOnlyList<string>? recipes = null)
    {
        var shapes = new[] { DecoderShape.Tiny, DecoderShape.Small, DecoderShape.Medium, DecoderShape.Large }
            .Where(s => names.Count == 0 || names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        var cli = Path.Combine(repository, "src", "DeepSeek.Cli", "bin", "Release", "net10.0", "DeepSeek.Cli.dll");
        var folder = Path.Combine(Path.GetTempPath(), "deepseek-bench-decoders");
        Console.WriteLine("shape   parameters   fp32 (model+data)   recipe        budget     time      peak RSS   output          next-token   KL");
        foreach (var shape in shapes)
        {
            var clock = Stopwatch.StartNew();
            var model = DecoderModels.Write(shape, folder);
            var generated = clock.Elapsed.TotalSeconds;
            var source = new FileInfo(model).Length + new FileInfo(model + ".data").Length;
            // The 7B shape's target is INT4 only (its INT8 form is 7 GB of output and as long again).
            foreach (var recipe in recipes ?? (shape == DecoderShape.Large ? ["int4"] : ["int4", "int8-dynamic"]))
            {
                var output = Path.Combine(folder, $"decoder-{shape.Name}.{recipe}.onnx");
                var report = output + ".json";
                var budget = maxMemory ?? Budgets.GetValueOrDefault(shape.Name);
                string[] memory = budget is null ? [] : ["--max-memory", budget];
                var (seconds, peakKb, log) = Timed("dotnet", [cli, "compress", model, "-o", output, "--quantize", recipe, "--accuracy-budget", "none", "--report", report, .. memory]);
                if (!File.Exists(report))
                {
                    Console.WriteLine($"{shape.Name,-7} {shape.Parameters,12:N0} {source / 1e9,14:F2} GB   {recipe,-13} failed after {seconds:F0} s, peak {peakKb / 1e6:F1} GB: {log.Trim().Split('\n').LastOrDefault()}");
                    continue;
                }

                using var json = JsonDocument.Parse(File.ReadAllText(report));
                var logits = json.RootElement.GetProperty("evaluation").GetProperty("outputs")[0];
                var bytes = json.RootElement.GetProperty("output").GetProperty("bytes").GetInt64();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{shape.Name,-7} {shape.Parameters,12:N0} {source / 1e9,14:F2} GB   {recipe,-13} {budget ?? "machine",-8} {seconds,6:F1} s  {peakKb / 1e6,6:F2} GB   {bytes / 1e9,6:F3} GB {(double)bytes / source,6:P1}   {logits.GetProperty("positionAgreement").GetDouble(),8:P2}   {logits.GetProperty("klDivergence").GetDouble():G3}"));
                File.Delete(output);
                File.Delete(output + ".data");
            }

            Console.WriteLine($"        (generated in {generated:F0} s)");
        }

        return 0;
    }

    private static (double Seconds, long PeakKb, string Log) Timed(string program, IEnumerable<string> args)
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
