using System.Diagnostics;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;

namespace DeepSeek.Engine.Compression;

/// <summary>A quick same-run latency comparison (median of 7 runs each, after a warm-up) used by <c>auto</c> to refuse a slower model.</summary>
internal static class Latency
{
    public static (double OriginalMs, double CompressedMs) Compare(string original, string compressed, IReadOnlyDictionary<string, string> options, IReadOnlyDictionary<string, TensorValue> sample)
    {
        using var a = ModelSession.Open(original, null, threads: 1);
        using var b = ModelSession.Open(compressed, options, threads: 1);
        return (Median(a, sample), Median(b, sample));
    }

    /// <summary>
    /// Two models timed in alternation on the same samples (one round: each runs one sample), so that a slow moment of the
    /// machine costs both alike; the median of each over <paramref name="rounds"/> rounds.
    /// </summary>
    public static (double FirstMs, double SecondMs) Interleaved(string first, IReadOnlyDictionary<string, string>? firstOptions, string second,
        IReadOnlyDictionary<string, string> secondOptions, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, int rounds = 21)
    {
        using var a = ModelSession.Open(first, firstOptions, threads: 1);
        using var b = ModelSession.Open(second, secondOptions, threads: 1);
        a.Run(samples[0]);
        b.Run(samples[0]);
        var (x, y) = (new double[rounds], new double[rounds]);
        for (var i = 0; i < rounds; i++)
        {
            var sample = samples[i % samples.Count];
            var clock = Stopwatch.StartNew();
            a.Run(sample);
            x[i] = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            b.Run(sample);
            y[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(x);
        Array.Sort(y);
        return (x[rounds / 2], y[rounds / 2]);
    }

    private static double Median(ModelSession session, IReadOnlyDictionary<string, TensorValue> sample)
    {
        session.Run(sample);
        var times = new double[7];
        for (var i = 0; i < times.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            session.Run(sample);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return times[times.Length / 2];
    }
}
