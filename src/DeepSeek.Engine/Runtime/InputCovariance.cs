using System.Numerics.Tensors;
using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Runtime;

/// <summary>
/// The second-moment matrix H = XᵀX of chosen float values over calibration samples, each value read as rows of its last
/// dimension (a MatMul's input [..., K] gives K×K): what GPTQ weighs a layer's rounding errors by. Values run as extra graph
/// outputs of one ONNX Runtime session, one sample at a time; only the K×K sums are kept.
/// </summary>
public static class InputCovariance
{
    /// <summary>Value name → (H row-major K×K, rows seen); <paramref name="widths"/> gives each value's K.</summary>
    public static IReadOnlyDictionary<string, (double[] Hessian, long Rows)> Collect(OnnxModel model, IReadOnlyDictionary<string, int> widths,
        IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(widths);
        ArgumentNullException.ThrowIfNull(samples);
        var probe = model.Proto.Clone();
        var existing = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var value in widths.Keys.Where(v => !existing.Contains(v)))
        {
            probe.Graph.Output.Add(new ValueInfoProto { Name = value, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }

        var sums = widths.ToDictionary(kv => kv.Key, kv => (Sum: new float[kv.Value * kv.Value], Rows: 0L), StringComparer.Ordinal);
        using var session = Calibrator.OpenProbe(model, probe);
        for (var s = 0; s < samples.Count; s++)
        {
            progress?.Report($"measuring layer inputs {s + 1}/{samples.Count}");
            foreach (var (name, value) in session.Run(samples[s], [.. widths.Keys], model.DisplayPath))
            {
                var k = widths[name];
                var data = value.GetData<float>();
                if (data.Length % k != 0)
                {
                    continue;
                }

                var (sum, rows) = sums[name];
                for (var r = 0; r < data.Length / k; r++)
                {
                    var x = data.AsSpan(r * k, k);
                    for (var i = 0; i < k; i++)
                    {
                        if (x[i] != 0)
                        {
                            TensorPrimitives.MultiplyAdd(x, x[i], sum.AsSpan(i * k, k), sum.AsSpan(i * k, k));
                        }
                    }
                }

                sums[name] = (sum, rows + (data.Length / k));
            }
        }

        return sums.ToDictionary(kv => kv.Key, kv => (Array.ConvertAll(kv.Value.Sum, v => (double)v), kv.Value.Rows), StringComparer.Ordinal);
    }
}
