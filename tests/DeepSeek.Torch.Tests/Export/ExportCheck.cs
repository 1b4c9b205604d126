using DeepSeek.Testing;
using DeepSeek.Torch.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Export;

/// <summary>Exports a module, runs the file in ONNX Runtime and compares it with TorchSharp on the same input.</summary>
internal static class ExportCheck
{
    public const double Tolerance = 1e-4;

    /// <summary>
    /// Exports <paramref name="module"/> with <paramref name="sample"/>, then runs <paramref name="input"/> (the sample when
    /// null) through ONNX Runtime and through the module in eval mode; returns the largest absolute difference.
    /// </summary>
    public static double ExportAndCompare(nn.Module<Tensor, Tensor> module, Tensor sample, string path, Tensor? input = null, OnnxExportOptions? options = null)
    {
        OnnxExporter.Export(module, sample, path, options);
        return Compare(module, path, input ?? sample, (options ?? OnnxExportOptions.Default).InputName);
    }

    /// <summary>The largest absolute difference between ONNX Runtime on <paramref name="modelPath"/> and the module, on <paramref name="input"/>.</summary>
    public static double Compare(nn.Module<Tensor, Tensor> module, string modelPath, Tensor input, string inputName = "input")
    {
        var actual = Ort.Run(modelPath, inputName, input.data<float>().ToArray(), input.shape)[0];
        var expected = Expected(module, input);
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
    }

    /// <summary>TorchSharp's inference output for <paramref name="input"/> (the module is left in eval mode).</summary>
    public static float[] Expected(nn.Module<Tensor, Tensor> module, Tensor input)
    {
        module.eval();
        using var noGrad = no_grad();
        using var output = module.call(input);
        return output.data<float>().ToArray();
    }

    /// <summary>A few training-mode forwards so that every BatchNorm2d has running statistics far from (0, 1).</summary>
    public static void TrainBatchNorm(nn.Module<Tensor, Tensor> module, Func<Tensor> batch, int steps = 5)
    {
        module.train();
        using var noGrad = no_grad();
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            module.call(batch());
        }
    }
}
