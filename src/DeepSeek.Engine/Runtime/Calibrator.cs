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
public sealed record CalibrationResult(IReadOnlyDictionary<string, ActivationRange> Ranges, IReadOnlyDictionary<string, float[]> ChannelMeans);

/// <summary>How activation ranges are taken from the calibration runs.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen.</summary>
    MinMax,

    /// <summary>The 0.01 and 99.99 percentiles of all values seen (clips rare outliers).</summary>
    Percentile,
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
        }

        var ranges = new Dictionary<string, ActivationRange>(StringComparer.Ordinal);
        var histograms = method == CalibrationMethod.Percentile ? Histograms(session, samples, watched, minMax, model.DisplayPath, progress) : null;
        foreach (var (name, (min, max)) in minMax)
        {
            if (!float.IsFinite(min) || !float.IsFinite(max))
            {
                continue;
            }

            ranges[name] = histograms is null ? new ActivationRange(min, max) : histograms[name].Range(min, max);
        }

        var means = sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum.Select(v => (float)(v / kv.Value.Count)).ToArray(), StringComparer.Ordinal);
        return new CalibrationResult(ranges, means);
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

    internal static ModelSession OpenProbe(OnnxModel model, ModelProto probe)
    {
        if (!model.HasExternalData)
        {
            return ModelSession.Open(probe.ToByteArray(), model.DisplayPath);
        }

        var folder = Directory.CreateTempSubdirectory("deepseek-calibration-");
        try
        {
            var path = Path.Combine(folder.FullName, "probe.onnx");
            new OnnxModel(probe, model.DisplayPath, model.BaseDirectory).Save(path, new ModelWriteOptions { ExternalData = ExternalDataMode.SeparateFile });
            return ModelSession.Open(path, null);
        }
        finally
        {
            // ONNX Runtime has read the model (and mapped or copied its data) by the time the session exists.
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

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
