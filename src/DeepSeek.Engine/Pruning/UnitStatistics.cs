using System.Numerics.Tensors;
using DeepSeek.Engine.Data;
using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Runtime;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>What the consumers of a layer's units read, measured on the samples: each unit's sum, and for a MatMul's rows the
/// second moments XᵀX (what the consumer's weights are refitted by after units go).</summary>
/// <param name="Sums">Per unit, the sum of its values.</param>
/// <param name="Count">How many values each sum adds (positions × samples).</param>
/// <param name="Gram">Row-major U×U XᵀX for rows of the last axis (MatMul consumers), else null.</param>
internal sealed record UnitMoments(double[] Sums, long Count, double[]? Gram)
{
    /// <summary>The value's shape in the last sample.</summary>
    public IReadOnlyList<long> Shape { get; init; } = [];

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

        var probe = model.Proto.Clone();
        var existing = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var types = ElementTypeInference.Infer(probe.Graph);
        foreach (var value in wanted.Keys.Where(v => !existing.Contains(v)))
        {
            var type = types.GetValueOrDefault(value, (int)TensorProto.Types.DataType.Float);
            probe.Graph.Output.Add(new ValueInfoProto { Name = value, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type } } });
        }

        var sums = wanted.ToDictionary(kv => kv.Key, kv => new double[kv.Value.Units], StringComparer.Ordinal);
        var grams = wanted.Where(kv => kv.Value.Rows).ToDictionary(kv => kv.Key, kv => new float[kv.Value.Units * kv.Value.Units], StringComparer.Ordinal);
        var counts = wanted.Keys.ToDictionary(k => k, _ => 0L, StringComparer.Ordinal);
        var shapes = wanted.Keys.ToDictionary(k => k, _ => (IReadOnlyList<long>)[], StringComparer.Ordinal);
        using var session = Calibrator.OpenProbe(model, probe);
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
                    // NCHW...: each channel's plane, batch by batch
                    var plane = (int)(data.Length / value.Shape[0] / units);
                    for (var b = 0; b < value.Shape[0]; b++)
                    {
                        for (var c = 0; c < units; c++)
                        {
                            sum[c] += TensorPrimitives.Sum(data.AsSpan((int)(((b * units) + c) * (long)plane), plane));
                        }
                    }

                    counts[name] += value.Shape[0] * plane;
                }
            }
        }

        return wanted.Keys.ToDictionary(k => k, k => new UnitMoments(sums[k], counts[k], grams.TryGetValue(k, out var g) ? Array.ConvertAll(g, v => (double)v) : null) { Shape = shapes[k] }, StringComparer.Ordinal);
    }
}
