using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Runtime.Kernels;
using DeepSeek.Testing;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>
/// One layer the shape of samples/TorchMnist's fc1 (x[B, 1568] · W[1568, 64], W 1:16 along its rows), 1 thread: the forms
/// ONNX Runtime could run it in — dense fp32 MatMul, the dense INT8 QDQ form the build ships (baseline), and a Gather ·
/// Mul · ReduceSum form that touches only the non-zeros — against DeepSeek.Runtime's <see cref="NmSparseMatrix"/> kernel (AVX2 gathers over the non-zeros). The
/// question is whether any form makes the zeros pay for themselves in time.
/// </summary>
[Config(typeof(PruningConfig))]
public class SparseLayerBenchmarks : IDisposable
{
    private const int K = 1568;
    private const int N = 64;
    private const int Group = 16;
    private const int Kept = K / Group;

    private readonly Dictionary<string, InferenceSession> sessions = new(StringComparer.Ordinal);
    private float[] x = null!;
    private float[] y = null!;
    private int[] rows = null!;   // [Kept, N]: the row of W that group g keeps for column n
    private float[] values = null!; // [Kept, N]
    private NmSparseMatrix sparse = null!;
    private OrtValue input = null!;
    private RunOptions run = null!;

    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(15);
        var w = new float[K * N];
        rows = new int[Kept * N];
        values = new float[Kept * N];
        for (var g = 0; g < Kept; g++)
        {
            for (var n = 0; n < N; n++)
            {
                var k = (g * Group) + random.Next(Group);
                var v = (float)((random.NextDouble() * 2) - 1) * 0.1f;
                w[(k * N) + n] = v;
                rows[(g * N) + n] = k;
                values[(g * N) + n] = v;
            }
        }

        sparse = NmSparseMatrix.FromDense(w, K, N, 1, Group);
        x = ModelBuilder.Random(Batch * K, 16);
        y = new float[Batch * N];
        sessions["fp32"] = Open(Dense(w));
        sessions["int8"] = Open(Int8(w));
        sessions["gather"] = Open(Gather());
        sessions["floor"] = Open(Floor());
        input = OrtValue.CreateTensorValueFromMemory(x, [Batch, K]);
        run = new RunOptions();

        var dense = Run("fp32");
        Kernel();
        foreach (var name in new[] { "int8", "gather" })
        {
            var other = Run(name);
            Console.WriteLine($"// {name}: max |Δ| against fp32 {dense.Zip(other, (a, b) => Math.Abs(a - b)).Max():G3}");
        }

        Console.WriteLine($"// .NET kernel: max |Δ| against fp32 {dense.Zip(y, (a, b) => Math.Abs(a - b)).Max():G3}");
    }

    [GlobalCleanup]
    public void Dispose()
    {
        input.Dispose();
        run.Dispose();
        sessions.Values.ToList().ForEach(s => s.Dispose());
        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "dense fp32 MatMul (ORT)")]
    public float[] Fp32() => Run("fp32");

    [Benchmark(Baseline = true, Description = "dense int8 QDQ MatMul (ORT)")]
    public float[] Int8Dense() => Run("int8");

    [Benchmark(Description = "ORT call floor: one Slice to [B, 64]")]
    public float[] CallFloor() => Run("floor");

    [Benchmark(Description = "1:16 Gather·Mul·ReduceSum (ORT)")]
    public float[] GatherForm() => Run("gather");

    [Benchmark(Description = "1:16 NmSparseMatrix (DeepSeek.Runtime, Auto)")]
    public float[] DotNet()
    {
        Kernel();
        return y;
    }

    private float[] Run(string name)
    {
        var session = sessions[name];
        using var results = session.Run(run, [session.InputNames[0]], [input], [session.OutputNames[0]]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Benchmark(Description = "1:16 NmSparseMatrix, 256-bit path (AVX2 machines)")]
    public float[] DotNet256()
    {
        sparse.Multiply(x, y, Batch, KernelPath.Vector256);
        return y;
    }

    private void Kernel() => sparse.Multiply(x, y, Batch);

    private static InferenceSession Open(ModelProto model)
    {
        var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new InferenceSession(model.ToByteArray(), options);
    }

    private static ModelProto Dense(float[] w)
    {
        var b = new ModelBuilder().Input("x", "B", K).Output("y", "B", N).Initializer("w", w, K, N);
        return b.Node("MatMul", ["x", "w"], ["y"]).Build();
    }

    /// <summary>The QDQ form of an INT8 static MatMul: u8 activations (per tensor), s8 weights per column.</summary>
    private ModelProto Int8(float[] w)
    {
        var b = new ModelBuilder().Input("x", "B", K).Output("y", "B", N);
        var scales = new float[N];
        for (var n = 0; n < N; n++)
        {
            for (var k = 0; k < K; k++)
            {
                scales[n] = Math.Max(scales[n], Math.Abs(w[(k * N) + n]) / 127f);
            }
        }

        var q = new sbyte[K * N];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scales[i % N]), -127, 127);
        }

        var xMax = x.Max(Math.Abs);
        Add(b, "wq", Tensors.Int8(q, K, N));
        Add(b, "wz", Tensors.Int8(new sbyte[N], N));
        b.Initializer("ws", scales, N).Initializer("xs", [2 * xMax / 255f]);
        Add(b, "xz", Tensors.UInt8([128]));
        b.Node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]).Node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]);
        b.Node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], "", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        return b.Node("MatMul", ["xd", "wd"], ["y"]).Build();
    }

    /// <summary>y[b, n] = Σ_g x[b, rows[g, n]] · values[g, n], as Gather (axis 1) · Mul · Reshape [B, Kept, N] · ReduceSum(axis 1).</summary>
    private ModelProto Gather()
    {
        var b = new ModelBuilder().Input("x", "B", K).Output("y", "B", N).Initializer("values", values, Kept * N);
        Add(b, "rows", Tensors.Int64(rows.Select(r => (long)r).ToArray(), Kept * N));
        Add(b, "shape", Tensors.Int64([0, Kept, N], 3));
        Add(b, "axes", Tensors.Int64([1], 1));
        b.Node("Gather", ["x", "rows"], ["picked"], "", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        b.Node("Mul", ["picked", "values"], ["products"]).Node("Reshape", ["products", "shape"], ["grouped"]);
        return b.Node("ReduceSum", ["grouped", "axes"], ["y"], "", new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 }).Build();
    }

    /// <summary>The cost of a session call with the same input and output shapes and almost no work: y = x[:, :64].</summary>
    private static ModelProto Floor()
    {
        var b = new ModelBuilder().Input("x", "B", K).Output("y", "B", N);
        Add(b, "starts", Tensors.Int64([0], 1));
        Add(b, "ends", Tensors.Int64([N], 1));
        Add(b, "axes", Tensors.Int64([1], 1));
        return b.Node("Slice", ["x", "starts", "ends", "axes"], ["y"]).Build();
    }

    /// <summary>Adds <paramref name="tensor"/> (built by the engine's <see cref="Tensors"/>) as initializer <paramref name="name"/>.</summary>
    private static void Add(ModelBuilder builder, string name, TensorProto tensor)
    {
        tensor.Name = name;
        builder.Graph.Initializer.Add(tensor);
    }
}
