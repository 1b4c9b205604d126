using System.Diagnostics;
using System.Globalization;

namespace DeepSeek.Analyzers.Benchmarks;

/// <summary>
/// The same generated 200-file project as a real project on disk, built with `dotnet build --no-incremental` alternately
/// without and with the DeepSeek analyzers (DSM and DSW assemblies as Analyzer items), after a warm-up build of each;
/// prints every time, the medians and their ratio.
/// </summary>
internal static class BuildTimes
{
    public static int Run(int rounds)
    {
        var folder = Directory.CreateTempSubdirectory("deepseek-analyzer-bench-").FullName;
        try
        {
            GeneratedProject.WriteTo(folder, new[] { typeof(DeepSeek.Migration.Analyzers.ObsoleteApiAnalyzer), typeof(DeepSeek.Wrappers.Analyzers.WrapperLifetimeAnalyzer) }
                .Select(t => t.Assembly.Location));
            var without = new List<double>();
            var withAnalyzers = new List<double>();
            Build(folder, false); // restore and warm up
            Build(folder, true);
            for (var round = 0; round < rounds; round++)
            {
                without.Add(Build(folder, false));
                withAnalyzers.Add(Build(folder, true));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: without {without[^1]:F2} s, with {withAnalyzers[^1]:F2} s"));
            }

            var a = Median(without);
            var b = Median(withAnalyzers);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median build time: without {a:F2} s, with the DeepSeek analyzers {b:F2} s, ratio {b / a:F3}"));
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Build(string folder, bool analyzers)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "build", "--no-incremental", "-nodeReuse:false", "-p:UseSharedCompilation=false", $"-p:WithDeepSeekAnalyzers={(analyzers ? "true" : "false")}" })
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("the generated project did not build:\n" + output.Result + error.Result);
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        if (analyzers != output.Result.Contains("warning DSM0003", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the DeepSeek analyzers {(analyzers ? "did not run" : "ran")} in a build {(analyzers ? "with" : "without")} them");
        }

        return elapsed;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
