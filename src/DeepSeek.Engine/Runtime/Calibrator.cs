using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Passes.Int8;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Runtime;

/// <summary>What calibration observed.</summary>
/// <param name="Ranges">Value name → range.</param>
/// <param name="ChannelMeans">Value name → mean per channel (axis 1), for values of rank 2 or 4.</param>
public sealed record CalibrationResult(IReadOnlyDictionary<string, ActivationRange> Ranges, IReadOnlyDictionary<string, float[]> ChannelMeans)
{
    /// <summary>
    /// Conv output name → the covariance of its input patches (<see cref="OutputErrorRounding"/>), for the Convs whose
    /// rounding can follow their output error (2-D, one group, constant weights, enough patches).
    /// </summary>
    public IReadOnlyDictionary<string, OutputErrorRounding.PatchCovariance> PatchCovariances { get; init; } = new Dictionary<string, OutputErrorRounding.PatchCovariance>(StringComparer.Ordinal);
}

/// <summary>How activation ranges are taken from the calibration runs.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen.</summary>
    MinMax,

    /// <summary>The 0.01 and 99.99 percentiles of all values seen (clips rare outliers).</summary>
    Percentile,

    /// <summary>
    /// The range whose uint8/int8 grid gives the least expected squared error over all values seen: rounding noise
    /// (step² / 12 per value inside the range) against clipping error (the distance to the range's end of each value outside
    /// it), read from the value's histogram.
    /// </summary>
    Mse,
}

/// <summary>
/// Runs a model in ONNX Runtime over the calibration samples with every float intermediate value exposed as an output,
/// and records each value's range.
/// </summary>
public static class Calibrator
{
    private const double Percentile = 99.99;
    private const int Bins = 2048;

    /// <summary>
    /// Value name → observed range, for every float value a node produces and every float graph input; and, for values of
    /// rank 2 or 4 ([N, C] or [N, C, H, W]), the mean of each channel C (used to correct the bias shift of quantized weights).
    /// </summary>
    public static CalibrationResult Run(OnnxModel model, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
        CalibrationMethod method = CalibrationMethod.MinMax, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        var probe = model.Proto.Clone();
        var types = ElementTypeInference.Infer(probe.Graph);
        var existing = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var watched = probe.Graph.Node.SelectMany(n => n.Output)
            .Concat(probe.Graph.Input.Select(i => i.Name))
            .Where(v => v.Length > 0 && types.TryGetValue(v, out var t) && t == (int)TensorProto.Types.DataType.Float)
            .Distinct(StringComparer.Ordinal).ToArray();
        foreach (var value in watched.Where(v => !existing.Contains(v)))
        {
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = value,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        using var session = OpenProbe(model, probe);
        var convolutions = RoundableConvolutions(model, watched);
        var covariances = new Dictionary<string, OutputErrorRounding.CovarianceBuilder>(StringComparer.Ordinal);
        var minMax = watched.ToDictionary(v => v, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity), StringComparer.Ordinal);
        var sums = new Dictionary<string, (double[] Sum, long Count)>(StringComparer.Ordinal);
        for (var i = 0; i < samples.Count; i++)
        {
            progress?.Report($"calibrating {i + 1}/{samples.Count}");
            var outputs = session.Run(samples[i], watched, model.DisplayPath);
            foreach (var (name, value) in outputs)
            {
                var data = value.GetData<float>();
                var (min, max) = minMax[name];
                foreach (var v in data)
                {
                    if (float.IsFinite(v))
                    {
                        min = MathF.Min(min, v);
                        max = MathF.Max(max, v);
                    }
                }

                minMax[name] = (min, max);
                AddChannelSums(sums, name, value.Shape, data);
            }

            var patches = new List<(OutputErrorRounding.CovarianceBuilder Builder, TensorValue Input)>();
            foreach (var (output, (input, geometry)) in convolutions)
            {
                if (outputs.TryGetValue(input, out var x) && x.Shape is [var batch, var channels, var height, var width] && channels == geometry.Channels)
                {
                    if (!covariances.TryGetValue(output, out var builder))
                    {
                        covariances[output] = builder = new OutputErrorRounding.CovarianceBuilder(geometry, (int)height, (int)width, samples.Count * (int)batch);
                    }

                    patches.Add((builder, x));
                }
            }

            // Each Conv's covariance is its own: they fill in parallel.
            Parallel.ForEach(patches, p => p.Builder.Add(p.Input.GetData<float>(), (int)p.Input.Shape[0], (int)p.Input.Shape[2], (int)p.Input.Shape[3]));
        }

        var ranges = new Dictionary<string, ActivationRange>(StringComparer.Ordinal);
        var histograms = method != CalibrationMethod.MinMax ? Histograms(session, samples, watched, minMax, model.DisplayPath, progress) : null;
        foreach (var (name, (min, max)) in minMax)
        {
            if (!float.IsFinite(min) || !float.IsFinite(max))
            {
                continue;
            }

            ranges[name] = histograms is null ? new ActivationRange(min, max)
                : method == CalibrationMethod.Mse ? histograms[name].LeastSquaredErrorRange(min, max)
                : histograms[name].Range(min, max);
        }

        var means = sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum.Select(v => (float)(v / kv.Value.Count)).ToArray(), StringComparer.Ordinal);
        var patchCovariances = new Dictionary<string, OutputErrorRounding.PatchCovariance>(StringComparer.Ordinal);
        foreach (var (output, builder) in covariances)
        {
            if (builder.Build() is { } covariance)
            {
                patchCovariances[output] = covariance;
            }
        }

        return new CalibrationResult(ranges, means) { PatchCovariances = patchCovariances };
    }

    /// <summary>At most this many covariance values (floats) are held for the Convs' patch covariances; the largest Convs are left
    /// to round to nearest beyond it.</summary>
    private const long MaxCovarianceValues = 64L << 20;

    /// <summary>Conv output → its input value and geometry, for the Convs whose weights can be rounded by output error.</summary>
    private static Dictionary<string, (string Input, OutputErrorRounding.ConvGeometry Geometry)> RoundableConvolutions(OnnxModel model, string[] watched)
    {
        var values = watched.ToHashSet(StringComparer.Ordinal);
        var constants = model.Proto.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var result = new Dictionary<string, (string, OutputErrorRounding.ConvGeometry)>(StringComparer.Ordinal);
        long held = 0;
        var candidates = model.Proto.Graph.Node
            .Where(n => n.OpType == "Conv" && n.Input.Count >= 2 && values.Contains(n.Input[0]) && n.Output.Count > 0 && n.Output[0].Length > 0 && constants.ContainsKey(n.Input[1]))
            .Select(n => (Node: n, Geometry: OutputErrorRounding.Geometry(n, constants[n.Input[1]].Dims)))
            .Where(c => c.Geometry is not null)
            .OrderBy(c => OutputErrorRounding.PatchCovariance.Values(c.Geometry!));
        foreach (var (node, geometry) in candidates)
        {
            held += OutputErrorRounding.PatchCovariance.Values(geometry!);
            if (held > MaxCovarianceValues)
            {
                break;
            }

            result[node.Output[0]] = (node.Input[0], geometry!);
        }

        return result;
    }

    private static void AddChannelSums(Dictionary<string, (double[] Sum, long Count)> sums, string name, IReadOnlyList<long> shape, float[] data)
    {
        if (shape.Count is not (2 or 4) || shape[1] <= 0 || data.Length == 0)
        {
            return;
        }

        var channels = (int)shape[1];
        var inner = shape.Count == 4 ? (int)(shape[2] * shape[3]) : 1;
        var batch = data.Length / (channels * inner);
        if (!sums.TryGetValue(name, out var entry))
        {
            entry = (new double[channels], 0);
        }

        if (entry.Sum.Length != channels)
        {
            return;
        }

        for (var n = 0; n < batch; n++)
        {
            for (var c = 0; c < channels; c++)
            {
                double sum = 0;
                var start = ((n * channels) + c) * inner;
                for (var i = 0; i < inner; i++)
                {
                    sum += data[start + i];
                }

                entry.Sum[c] += sum;
            }
        }

        sums[name] = (entry.Sum, entry.Count + ((long)batch * inner));
    }

    /// <summary>A session on <paramref name="probe"/> (the model with more outputs): its weights stay in the model's files.</summary>
    internal static ModelSession OpenProbe(OnnxModel model, ModelProto probe)
        => ModelSession.Open(probe.ToByteArray(), model.DisplayPath, dataFolder: model.HasExternalData ? model.BaseDirectory : null);

    /// <summary>
    /// A second run over the samples, now that each value's extremes are known, filling fixed-size histograms of its negative
    /// and positive parts: memory stays bounded whatever the number of samples.
    /// </summary>
    private static Dictionary<string, Histogram> Histograms(ModelSession session, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
        string[] watched, Dictionary<string, (float Min, float Max)> minMax, string file, IProgress<string>? progress)
    {
        var histograms = watched.ToDictionary(v => v, _ => new Histogram(), StringComparer.Ordinal);
        for (var i = 0; i < samples.Count; i++)
        {
            progress?.Report($"calibrating (percentiles) {i + 1}/{samples.Count}");
            foreach (var (name, value) in session.Run(samples[i], watched, file))
            {
                var (min, max) = minMax[name];
                histograms[name].Add(value.GetData<float>(), min, max);
            }
        }

        return histograms;
    }

    private sealed class Histogram
    {
        private readonly long[] positive = new long[Bins];
        private readonly long[] negative = new long[Bins];
        private long positives;
        private long negatives;

        public void Add(float[] values, float min, float max)
        {
            foreach (var v in values)
            {
                if (v > 0 && max > 0)
                {
                    positive[Math.Min(Bins - 1, (int)(v / max * Bins))]++;
                    positives++;
                }
                else if (v < 0 && min < 0)
                {
                    negative[Math.Min(Bins - 1, (int)(v / min * Bins))]++;
                    negatives++;
                }
            }
        }

        /// <summary>The range clipped at the percentile, per side.</summary>
        public ActivationRange Range(float min, float max)
            => new(min < 0 ? min * Cut(negative, negatives) : min, max > 0 ? max * Cut(positive, positives) : max);

        /// <summary>The range, each end on a bin edge, that minimizes the expected squared quantization error (see <see cref="CalibrationMethod.Mse"/>).</summary>
        public ActivationRange LeastSquaredErrorRange(float min, float max)
        {
            var low = min < 0 && negatives > 0 ? new Side(negative, -min) : null;
            var high = max > 0 && positives > 0 ? new Side(positive, max) : null;
            var (i, j) = BestCuts(high, low, positives + negatives);
            return new ActivationRange(low is null ? min : -low.Edge(j), high is null ? max : high.Edge(i));
        }
    }

    /// <summary>
    /// Bins i (of the positive side) and j (of the negative side) that cut the range with the least expected squared error:
    /// the values inside the range carry uniform rounding noise of step² / 12 (step = range / 255), those beyond a cut the
    /// squared distance from their bin's centre to the cut. Values exactly 0 (a ReLU's) are exact and not counted. A search on
    /// a grid of every 8th edge, then every edge around the best.
    /// </summary>
    internal static (int High, int Low) BestCuts(Side? high, Side? low, long total)
    {
        double Error(int i, int j)
        {
            var hi = high?.Edge(i) ?? 0;
            var lo = low?.Edge(j) ?? 0;
            var step = (hi + lo) / 255.0;
            var (clippedHigh, countHigh) = high?.Clipped(i) ?? (0, 0);
            var (clippedLow, countLow) = low?.Clipped(j) ?? (0, 0);
            return clippedHigh + clippedLow + ((total - countHigh - countLow) * step * step / 12.0);
        }

        var iRange = high is null ? (From: Bins, To: Bins) : (From: 1, To: Bins);
        var jRange = low is null ? (From: Bins, To: Bins) : (From: 1, To: Bins);
        (int I, int J, double E) best = (Bins, Bins, Error(Bins, Bins));
        void Search(int i0, int i1, int j0, int j1, int stride)
        {
            for (var i = Math.Max(iRange.From, i0); i <= Math.Min(iRange.To, i1); i += stride)
            {
                for (var j = Math.Max(jRange.From, j0); j <= Math.Min(jRange.To, j1); j += stride)
                {
                    var e = Error(i, j);
                    if (e < best.E)
                    {
                        best = (i, j, e);
                    }
                }
            }
        }

        const int Coarse = 8;
        Search(Coarse, Bins, Coarse, Bins, Coarse);
        var (ci, cj) = (best.I, best.J);
        Search(ci - Coarse, ci + Coarse, cj - Coarse, cj + Coarse, 1);
        return (best.I, best.J);
    }

    /// <summary>One side (positive values, or the magnitudes of negative ones) of a value's histogram: <see cref="Bins"/> bins over
    /// [0, extent], with suffix sums that give the clipping error of any cut in constant time.</summary>
    internal sealed class Side
    {
        private readonly double width;
        private readonly double[] count;
        private readonly double[] sum;
        private readonly double[] squares;

        public Side(long[] histogram, double extent)
        {
            width = extent / histogram.Length;
            count = new double[histogram.Length + 1];
            sum = new double[histogram.Length + 1];
            squares = new double[histogram.Length + 1];
            for (var b = histogram.Length - 1; b >= 0; b--)
            {
                var centre = (b + 0.5) * width;
                count[b] = count[b + 1] + histogram[b];
                sum[b] = sum[b + 1] + (histogram[b] * centre);
                squares[b] = squares[b + 1] + (histogram[b] * centre * centre);
            }
        }

        /// <summary>The upper edge of bin <paramref name="bins"/> − 1: the range end that keeps the first <paramref name="bins"/> bins.</summary>
        public float Edge(int bins) => (float)(bins * width);

        /// <summary>Σ n·(centre − edge)² and Σ n over the bins beyond the first <paramref name="bins"/>.</summary>
        public (double Error, double Count) Clipped(int bins)
        {
            var edge = bins * width;
            return (Math.Max(0, squares[bins] - (2 * edge * sum[bins]) + (edge * edge * count[bins])), count[bins]);
        }
    }

    private static float Cut(long[] histogram, long total)
    {
        if (total == 0)
        {
            return 1f;
        }

        var keep = (long)Math.Ceiling(total * Percentile / 100.0);
        long seen = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            seen += histogram[i];
            if (seen >= keep)
            {
                return (i + 1f) / Bins;
            }
        }

        return 1f;
    }
}
