using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using DeepSeek.Runtime.Kernels;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>
/// The generated wrapper's allocation-free Run against a hand-written best-practice ONNX Runtime call (OrtValues created
/// once and reused; baseline) and against the common NamedOnnxValue pattern, on the MNIST MLP (batch 1) and ResNet-18.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet disposes through [GlobalCleanup]
public class WrapperBenchmarks
#pragma warning restore CA1001
{
    private InferenceSession session = null!;
    private RunOptions runOptions = null!;
    private OrtValue inputValue = null!;
    private OrtValue outputValue = null!;
    private float[] input = null!;
    private float[] output = null!;
    private long[] inputShape = null!;
    private string inputName = "";
    private string outputName = "";
    private Models.MnistMlp? mlp;
    private Models.Resnet18? resnet;

    [Params("mnist-mlp", "resnet18")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Models", Model + ".onnx");
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        session = new InferenceSession(path, options);
        runOptions = new RunOptions();
        inputName = session.InputNames[0];
        outputName = session.OutputNames[0];
        inputShape = Model == "resnet18" ? [1, 3, 224, 224] : [1, 784];
        long[] outputShape = Model == "resnet18" ? [1, 512, 1, 1] : [1, 10];
        input = new float[inputShape.Aggregate(1L, (a, d) => a * d)];
        output = new float[outputShape.Aggregate(1L, (a, d) => a * d)];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (i % 255) / 255f;
        }

        inputValue = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        outputValue = OrtValue.CreateTensorValueFromMemory(output, outputShape);
        var wrapperOptions = new SessionOptions { IntraOpNumThreads = 1 };
        if (Model == "resnet18")
        {
            resnet = new Models.Resnet18(wrapperOptions);
        }
        else
        {
            mlp = new Models.MnistMlp(wrapperOptions);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        mlp?.Dispose();
        resnet?.Dispose();
        inputValue.Dispose();
        outputValue.Dispose();
        runOptions.Dispose();
        session.Dispose();
    }

    [Benchmark(Baseline = true, Description = "hand-written ORT, reused OrtValues")]
    public void HandWritten() => session.Run(runOptions, [inputName], [inputValue], [outputName], [outputValue]);

    [Benchmark(Description = "generated wrapper, Run(span, span)")]
    public void Wrapper()
    {
        if (resnet is not null)
        {
            resnet.Run(input, output);
        }
        else
        {
            mlp!.Run(input, output, 1);
        }
    }

    [Benchmark(Description = "NamedOnnxValue pattern")]
    public float NamedOnnxValuePattern()
    {
        var inputs = new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(input, inputShape.Select(d => (int)d).ToArray())) };
        using var results = session.Run(inputs);
        return results[0].AsTensor<float>()[0];
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
    }
}

/// <summary>SIMD preprocessing of one 224x224 RGB image (HWC bytes → normalized CHW floats) against the scalar loop.</summary>
[Config(typeof(Config))]
public class PreprocessingBenchmarks
{
    private readonly byte[] rgb = new byte[224 * 224 * 3];
    private readonly float[] chw = new float[224 * 224 * 3];
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(rgb);

    [Benchmark(Baseline = true, Description = "scalar")]
    public void Scalar() => ImagePreprocessing.RgbToChw(rgb, chw, Mean, Std, KernelPath.Scalar);

    [Benchmark(Description = "Vector128")]
    public void Vector128() => ImagePreprocessing.RgbToChw(rgb, chw, Mean, Std, KernelPath.Vector128);

    [Benchmark(Description = "Vector256")]
    public void Vector256() => ImagePreprocessing.RgbToChw(rgb, chw, Mean, Std, System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? KernelPath.Vector256 : KernelPath.Vector128);

    [Benchmark(Description = "auto (widest)")]
    public void Auto() => ImagePreprocessing.RgbToChw(rgb, chw, Mean, Std);

    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
    }
}
