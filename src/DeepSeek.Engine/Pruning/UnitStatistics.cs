using System.Numerics.Tensors;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>What the consumers of a layer's units read, measured on the samples: each unit's sum and the second moments XᵀX
/// over positions (a MatMul's rows, a convolution's pixels): what the consumer's weights are refitted by after units go.</summary>
/// <param name="Sums">Per unit, the sum of its values.</param>
/// <param name="Count">How many values each sum adds (positions × samples).</param>
/// <param name="Gram">Row-major U×U XᵀX, summed over positions; null where the value's shape did not show the units.</param>
internal sealed record UnitMoments(double[] Sums, long Count, double[]? Gram)
{
    /// <summary>The value's shape in the last sample.</summary>
    public IReadOnlyList<long> Shape { get; init; } = [];

    /// <summary>Σ x'ᵢ·xⱼ over positions, where x' (whose moments <see cref="Sums"/> and <see cref="Gram"/> are) is what a partly
    /// pruned model feeds the consumers and x what the original fed them; null when x' is x.</summary>
    public double[]? Cross { get; init; }

    /// <summary>Σ x per unit, the original's values, when <see cref="Cross"/> is set.</summary>
    public double[]? TargetSums { get; init; }

    /// <summary>The unit's mean value.</summary>
    public double Mean(int unit) => Count == 0 ? 0 : Sums[unit] / Count;
}

/// <summary>Measures <see cref="UnitMoments"/> of every group's consumed values in one ONNX Runtime session (extra outputs), and
/// the shapes of the tensors their units must broadcast with.</summary>
internal static class UnitStatistics
{
    /// <summary>Value name → moments, for the groups' consumed values.</summary>
    public static IReadOnlyDictionary<string, UnitMoments> Collect(OnnxModel model, IReadOnlyList<UnitGroup> groups,
        IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, IProgress<string>? progress, CancellationToken cancellation)
    {
        var wanted = new Dictionary<string, (int Units, bool Rows)>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            foreach (var value in group.ConsumedValues)
            {
                wanted[value] = (group.Units * group.Width, group.Producer.OpType == "MatMul");
            }

            foreach (var check in group.Broadcasts)
            {
                wanted.TryAdd(check.Value, (0, false));
            }
        }


        var sums = wanted.ToDictionary(kv => kv.Key, kv => new double[kv.Value.Units], StringComparer.Ordinal);
        var grams = wanted.Where(kv => kv.Value.Rows).ToDictionary(kv => kv.Key, kv => new float[kv.Value.Units * kv.Value.Units], StringComparer.Ordinal);
        var planeGrams = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var counts = wanted.Keys.ToDictionary(k => k, _ => 0L, StringComparer.Ordinal);
        var shapes = wanted.Keys.ToDictionary(k => k, _ => (IReadOnlyList<long>)[], StringComparer.Ordinal);
        using var session = OpenProbe(model, wanted.Keys);
        for (var s = 0; s < samples.Count; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            progress?.Report($"measuring pruned layers' inputs {s + 1}/{samples.Count}");
            foreach (var (name, value) in session.Run(samples[s], [.. wanted.Keys], model.DisplayPath))
            {
                var (units, rows) = wanted[name];
                shapes[name] = value.Shape.ToArray();
                if (units == 0)
                {
                    continue;
                }

                var data = value.GetData<float>();
                var sum = sums[name];
                if (rows)
                {
                    var gram = grams[name];
                    for (var r = 0; r < data.Length / units; r++)
                    {
                        var x = data.AsSpan(r * units, units);
                        for (var i = 0; i < units; i++)
                        {
                            sum[i] += x[i];
                            if (x[i] != 0)
                            {
                                TensorPrimitives.MultiplyAdd(x, x[i], gram.AsSpan(i * units, units), gram.AsSpan(i * units, units));
                            }
                        }
                    }

                    counts[name] += data.Length / units;
                }
                else if (value.Shape.Count >= 2 && value.Shape[1] == units)
                {
                    // NCHW...: each channel's plane, batch by batch; XᵀX over pixels is the planes' dot products
                    var plane = (int)(data.Length / value.Shape[0] / units);
                    ref var gram = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(planeGrams, name, out _);
                    gram ??= new double[units * units];
                    AddPlanes(data, data, (int)value.Shape[0], units, sum, null, gram, symmetric: true);
                    counts[name] += value.Shape[0] * plane;
                }
                else if (value.Shape.Count >= 2 && value.Shape[1] > units)
                {
                    // A concatenation the units are part of: every channel's sum (its consumers are given back the removed
                    // channels' means at the units' offset)
                    var channels = (int)value.Shape[1];
                    if (sum.Length != channels)
                    {
                        sum = sums[name] = new double[channels];
                    }

                    var plane = (int)(data.Length / value.Shape[0] / channels);
                    for (var i = 0; i < data.Length / plane; i++)
                    {
                        sum[i % channels] += TensorPrimitives.Sum(data.AsSpan(i * plane, plane));
                    }

                    counts[name] += value.Shape[0] * plane;
                }
            }
        }

        foreach (var (name, gram) in planeGrams)
        {
            Mirror(gram, wanted[name].Units);
        }

        return wanted.Keys.ToDictionary(k => k, k => new UnitMoments(sums[k], counts[k],
            grams.TryGetValue(k, out var g) ? Array.ConvertAll(g, v => (double)v) : planeGrams.GetValueOrDefault(k)) { Shape = shapes[k] }, StringComparer.Ordinal);
    }

    /// <summary>
    /// The moments of <paramref name="group"/>'s consumed values as <paramref name="current"/> (a copy with earlier layers
    /// pruned) computes them, each against the original's values (<see cref="Capture"/>): Σx', Σx'x'ᵀ, Σx and Σx'xᵀ over
    /// pixels. Only NCHW values whose channels are the group's units; the others are left out.
    /// </summary>
    public static Dictionary<string, UnitMoments> Drift(OnnxModel current, UnitGroup group, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
        IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> original, CancellationToken cancellation)
    {
        var units = group.Units;
        var values = group.ConsumedValues.Where(v => original.Count > 0 && original[0].TryGetValue(v, out var x) && x.Shape.Count >= 2 && x.Shape[1] == units).ToList();
        var result = new Dictionary<string, UnitMoments>(StringComparer.Ordinal);
        if (values.Count == 0)
        {
            return result;
        }

        var moments = values.ToDictionary(v => v, _ => (Sums: new double[units], Gram: new double[units * units], Targets: new double[units], Cross: new double[units * units], Count: 0L), StringComparer.Ordinal);
        using var session = OpenProbe(current, values);
        for (var s = 0; s < samples.Count; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            foreach (var (name, value) in session.Run(samples[s], values, current.DisplayPath))
            {
                var pruned = value.GetData<float>();
                var before = original[s][name].GetData<float>();
                if (pruned.Length != before.Length)
                {
                    continue;
                }

                var m = moments[name];
                var batches = (int)value.Shape[0];
                AddPlanes(pruned, pruned, batches, units, m.Sums, null, m.Gram, symmetric: true);
                AddPlanes(pruned, before, batches, units, null, m.Targets, m.Cross, symmetric: false);
                moments[name] = m with { Count = m.Count + (pruned.Length / units) };
            }
        }

        foreach (var (name, m) in moments)
        {
            Mirror(m.Gram, units);
            result[name] = new UnitMoments(m.Sums, m.Count, m.Gram) { Cross = m.Cross, TargetSums = m.Targets, Shape = original[0][name].Shape.ToArray() };
        }

        return result;
    }

    /// <summary>The values named, per sample, as <paramref name="model"/> computes them.</summary>
    public static List<IReadOnlyDictionary<string, TensorValue>> Capture(OnnxModel model, IReadOnlyCollection<string> values,
        IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, CancellationToken cancellation)
    {
        using var session = OpenProbe(model, values);
        return samples.Select(sample =>
        {
            cancellation.ThrowIfCancellationRequested();
            return (IReadOnlyDictionary<string, TensorValue>)session.Run(sample, [.. values], model.DisplayPath);
        }).ToList();
    }

    /// <summary>A session that also returns <paramref name="values"/>.</summary>
    private static ModelSession OpenProbe(OnnxModel model, IEnumerable<string> values)
    {
        var probe = model.Proto.Clone();
        var existing = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var types = ElementTypeInference.Infer(probe.Graph);
        foreach (var value in values.Where(v => !existing.Contains(v)))
        {
            var type = types.GetValueOrDefault(value, (int)TensorProto.Types.DataType.Float);
            probe.Graph.Output.Add(new ValueInfoProto { Name = value, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type } } });
        }

        return Calibrator.OpenProbe(model, probe);
    }

    /// <summary>
    /// For NCHW… tensors <paramref name="x"/> and <paramref name="y"/> of <paramref name="units"/> channels: per channel the
    /// sums of x and of y (where given), and Σ over pixels of xᵢ·yⱼ into <paramref name="products"/> (row i, column j; only
    /// j ≤ i when <paramref name="symmetric"/>, for <see cref="Mirror"/> to complete).
    /// </summary>
    private static void AddPlanes(float[] x, float[] y, int batches, int units, double[]? xSums, double[]? ySums, double[] products, bool symmetric)
    {
        var plane = x.Length / batches / units;
        for (var b = 0; b < batches; b++)
        {
            var xs = x.AsSpan(b * units * plane, units * plane);
            var ys = y.AsSpan(b * units * plane, units * plane);
            for (var c = 0; c < units; c++)
            {
                var xc = xs.Slice(c * plane, plane);
                if (xSums is not null)
                {
                    xSums[c] += TensorPrimitives.Sum(xc);
                }

                if (ySums is not null)
                {
                    ySums[c] += TensorPrimitives.Sum(ys.Slice(c * plane, plane));
                }

                for (var d = 0; d < (symmetric ? c + 1 : units); d++)
                {
                    products[(c * units) + d] += TensorPrimitives.Dot(xc, ys.Slice(d * plane, plane));
                }
            }
        }
    }

    /// <summary>Copies the lower triangle of a row-major n×n matrix to the upper.</summary>
    private static void Mirror(double[] matrix, int n)
    {
        for (var c = 0; c < n; c++)
        {
            for (var d = 0; d < c; d++)
            {
                matrix[(d * n) + c] = matrix[(c * n) + d];
            }
        }
    }
}
