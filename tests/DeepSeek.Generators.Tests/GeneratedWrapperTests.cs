namespace DeepSeek.Generators.Tests;

/// <summary>The wrapper the generator made for this very project (Models/mnist-mlp.onnx), run in ONNX Runtime.</summary>
public sealed class GeneratedWrapperTests
{
    [Fact]
    public void The_span_run_parameters_carry_the_tensor_shapes_the_DSW0003_analyzer_reads()
    {
        var run = typeof(DeepSeek.Generators.Tests.Models.MnistMlp).GetMethods()
            .Single(m => m.Name == "Run" && m.GetParameters().Any(p => p.ParameterType == typeof(Span<float>)));
        var shapes = run.GetParameters()
            .Select(p => (p.Name, Shape: p.GetCustomAttributes(typeof(DeepSeek.Runtime.TensorShapeAttribute), false).Cast<DeepSeek.Runtime.TensorShapeAttribute>().SingleOrDefault()?.Dimensions))
            .ToList();
        Assert.Equal([-1L, 784], shapes[0].Shape);
        Assert.Equal([-1L, 10], shapes[1].Shape);
        Assert.Null(shapes[2].Shape); // the symbolic dimension n
    }

    [Fact]
    public void The_span_overload_allocates_nothing_in_steady_state_and_matches_the_array_overload()
    {
        using var mlp = new DeepSeek.Generators.Tests.Models.MnistMlp();
        var input = new float[2 * 784];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (i % 97) / 97f;
        }

        var logits = new float[2 * 10];
        mlp.Run(input, logits, n: 2); // binds buffers for n = 2
        mlp.Run(input, logits, n: 2);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            mlp.Run(input, logits, n: 2);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(logits, mlp.Run(input, 2));
        Assert.Contains(logits, v => v != 0);
        Assert.Throws<ArgumentException>(() => mlp.Run(new float[10], logits, n: 2));
    }

    [Fact]
    public void The_bytes_constructor_and_the_generated_argmax_helper_work()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Models", "mnist-mlp.onnx"));
        using var fromBytes = new DeepSeek.Generators.Tests.Models.MnistMlp(bytes);
        using var fromFile = new DeepSeek.Generators.Tests.Models.MnistMlp();
        var input = new float[784];
        input[300] = 1;
        var a = fromBytes.Run(input, 1);
        var b = fromFile.Run(input, 1);
        Assert.Equal(a, b);
        Assert.Equal(Array.IndexOf(a, a.Max()), DeepSeek.Generators.Tests.Models.MnistMlp.ArgMax(a));
        Assert.Equal(new long[] { -1, 784 }, DeepSeek.Generators.Tests.Models.MnistMlp.InputShape.ToArray());
    }
}
