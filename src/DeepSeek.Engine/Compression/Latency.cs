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
