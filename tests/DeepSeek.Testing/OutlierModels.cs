using System.Runtime.InteropServices;
using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Testing;

/// <summary>
/// Real models with weights that low-bit blocks cannot hold, for tests that need a recipe to lose accuracy for real: the
/// MNIST MLP with, in every eighth hidden unit, one weight per block of 128 inputs set to 100 times the unit's largest, on a
/// pixel of the image's left edge (always 0 in MNIST, so the fp32 model computes exactly what it did). A 4-bit block must then
/// spend its range on the outlier and rounds the unit's other weights away: those units die and the digits they decided flip.
/// </summary>
public static class OutlierModels
{
    private static readonly Lazy<string> Mlp = new(() => DerivedModelFile.WriteOnce(Path.Combine(Path.GetTempPath(), "deepseek-tests", "mnist-mlp-outliers.onnx"), () =>
    {
        var model = ModelReader.Read(TestAssets.MnistMlp);
        var w1 = model.Proto.Graph.Initializer.Single(t => t.Dims.SequenceEqual([784L, 128L]));
        var values = MemoryMarshal.Cast<byte, float>(DeepSeek.Onnx.Model.TensorData.ReadBytes(w1, model.BaseDirectory, model.DisplayPath)).ToArray();
        for (var unit = 0; unit < 128; unit += 8)
        {
            var peak = Enumerable.Range(0, 784).Max(p => MathF.Abs(values[(p * 128) + unit]));
            for (var block = 0; block * 128 < 784; block++)
            {
                var pixel = ((block * 128) + 27) / 28 * 28; // the first left-edge pixel in the block
                if (pixel < Math.Min(784, (block + 1) * 128))
                {
                    values[(pixel * 128) + unit] = (block % 2 == 0 ? 100 : -100) * peak;
                }
            }
        }

        w1.FloatData.Clear();
        w1.RawData = Google.Protobuf.ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return model;
    }));

    /// <summary>The MNIST MLP with the planted outliers (fp32 outputs unchanged on MNIST digits).</summary>
    public static string MnistMlp => Mlp.Value;
}
