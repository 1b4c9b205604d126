using System.Diagnostics;
using System.Globalization;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>
/// <c>--pruning-ratios [rounds] [resnet|arctic|mnist]</c>: the pruning benchmarks' models (ResNetPruningBenchmarks, ArcticPruningBenchmarks,
/// SparseMnistBenchmarks), each built once, timed at 1 thread in interleaved rounds — every round times every model of a
/// family back to back, in an order that rotates — so that a drift of the machine's speed during the run (seen here: the same
/// ResNet-18 model 6.8 ms and 8.3 ms in two BenchmarkDotNet processes minutes apart) moves the baseline and the candidate
/// together. Prints each model's median time and the median, lowest and highest of its per-round speed-up over the baseline.
/// </summary>
internal static class PruningRatios
{
    public static int Run(int rounds, IReadOnlyCollection<string> families)
    {
        Console.WriteLine($"| family | model | median time | speed-up over the first row (median of {rounds} rounds) | lowest–highest |");
        Console.WriteLine("|---|---|---:|---:|---|");
        bool Wanted(string key) => families.Count == 0 || families.Contains(key, StringComparer.OrdinalIgnoreCase);
        if (Wanted("resnet"))
        {
            Measure("ResNet-18", ResNetPruningBenchmarks.Models, rounds);
        }

        if (Wanted("arctic"))
        {
            Measure("arctic-embed-xs, 32 tokens", ArcticPruningBenchmarks.Models, rounds);
        }

        if (Wanted("mnist"))
        {
            Measure("MNIST CNN", SparseMnistBenchmarks.Models, rounds);
        }

        return 0;
    }

    private static void Measure(string family, Func<Dictionary<string, ModelSession>, IReadOnlyDictionary<string, TensorValue>> build, int rounds)
    {
        var sessions = new Dictionary<string, ModelSession>(StringComparer.Ordinal);
        try
        {
            var input = build(sessions);
            var names = sessions.Keys.ToList();

            // Runs per timing: about 100 ms of the baseline.
            sessions[names[0]].Run(input);
            var probe = Stopwatch.StartNew();
            var probes = 0;
            while (probe.Elapsed.TotalMilliseconds < 100)
            {
                sessions[names[0]].Run(input);
                probes++;
            }

            var runs = Math.Max(1, probes);
            var times = names.ToDictionary(n => n, _ => new List<double>(), StringComparer.Ordinal);
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < names.Count; i++)
                {
                    var name = names[(i + round) % names.Count];
                    var session = sessions[name];
                    session.Run(input);
                    var clock = Stopwatch.StartNew();
                    for (var r = 0; r < runs; r++)
                    {
                        session.Run(input);
                    }

                    times[name].Add(clock.Elapsed.TotalMilliseconds / runs);
                }
            }

            foreach (var name in names)
            {
                var ratios = times[names[0]].Zip(times[name], (b, t) => b / t).Order().ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {family} | {name} | {Median(times[name]):0.000} ms | {Median(ratios):0.00}x | {ratios[0]:0.00}–{ratios[^1]:0.00} |"));
            }
        }
        finally
        {
            sessions.Values.ToList().ForEach(s => s.Dispose());
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
