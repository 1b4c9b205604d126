using System.Diagnostics;
using DeepSeek.Runtime.Kernels;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchMnist;

/// <summary>One batch size: the sparse layer's and the dense layer's median time per call, and how far apart their outputs are.</summary>
public sealed record LayerTiming(int Batch, double SparseMicroseconds, double DenseMicroseconds, double MaxAbsDifference)
{
    /// <summary>Dense time over sparse time.</summary>
    public double SpeedUp => DenseMicroseconds / SparseMicroseconds;
}

/// <summary>
/// fc1 of the 1:16 student (x[B, 1568] · W[1568, 64]) timed in this process, one thread, in interleaved rounds: DeepSeek.Runtime's
/// <see cref="NmSparseMatrix"/> (the non-zeros only) against libtorch's dense fp32 product with the same weights. The build ships
/// the whole model to ONNX Runtime, which runs the zeros at dense speed; docs/benchmarks.md compares the kernel with ONNX
/// Runtime's INT8 layer too.
/// </summary>
public static class SparseLayerTiming
{
    private const int Rounds = 15;

    /// <summary>Times fc1 of <paramref name="sparse"/> at each of <paramref name="batches"/>; also returns the bytes each form stores.</summary>
    public static (IReadOnlyList<LayerTiming> Timings, long SparseBytes, long DenseBytes) Run(Sequential sparse, params int[] batches)
    {
        ArgumentNullException.ThrowIfNull(sparse);
        var fc1 = (Linear)sparse.named_children().Single(c => c.name == "fc1").module;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            // W[in, out]: the pattern runs along the input, down each column.
            var transposed = fc1.weight!.detach().t().contiguous().cpu();
            var rows = (int)transposed.shape[0];
            var columns = (int)transposed.shape[1];
            var weights = transposed.data<float>().ToArray();
            var matrix = NmSparseMatrix.FromDense(weights, rows, columns, 1, 16);
            var timings = new List<LayerTiming>();
            foreach (var batch in batches)
            {
                var x = new float[batch * rows];
                var random = new Random(batch);
                for (var i = 0; i < x.Length; i++)
                {
                    x[i] = (float)random.NextDouble();
                }

                var y = new float[batch * columns];
                var input = tensor(x, [batch, rows]);
                void Sparse() => matrix.Multiply(x, y, batch);
                void Dense()
                {
                    using var product = input.matmul(transposed);
                }

                matrix.Multiply(x, y, batch);
                using var expected = input.matmul(transposed);
                var difference = expected.data<float>().ToArray().Zip(y, (a, b) => Math.Abs(a - b)).Max();
                var calls = Calls(Dense);
                var sparseTimes = new List<double>();
                var denseTimes = new List<double>();
                for (var round = 0; round < Rounds; round++)
                {
                    sparseTimes.Add(Time(Sparse, calls));
                    denseTimes.Add(Time(Dense, calls));
                }

                timings.Add(new LayerTiming(batch, Median(sparseTimes), Median(denseTimes), difference));
            }

            return (timings, ((long)matrix.StoredValues * sizeof(float)) + ((long)matrix.StoredValues * sizeof(int)), (long)weights.Length * sizeof(float));
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Calls per timing: about 20 ms of <paramref name="action"/>.</summary>
    private static int Calls(Action action)
    {
        action();
        var clock = Stopwatch.StartNew();
        var calls = 0;
        while (clock.Elapsed.TotalMilliseconds < 20)
        {
            action();
            calls++;
        }

        return Math.Max(1, calls);
    }

    /// <summary>Microseconds per call over <paramref name="calls"/> calls.</summary>
    private static double Time(Action action, int calls)
    {
        action();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            action();
        }

        return clock.Elapsed.TotalMicroseconds / calls;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
