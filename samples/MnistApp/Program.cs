using System.Reflection;
using DeepSeek.Runtime;

// Runs the MNIST CNN that the build compressed, on ten handwritten digits the model never saw in training.
var model = ShippedModel.Open("Models/mnist-cnn.onnx");
var original = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OriginalModel").Value!;
Console.WriteLine($"profile {model.Profile}, recipe {model.Recipe}");
Console.WriteLine($"model   {new FileInfo(original).Length:N0} bytes → {new FileInfo(model.Path).Length:N0} bytes shipped");

// The typed wrapper the build generated from the model's manifest: MnistApp.Models.MnistCnn.
using var cnn = new MnistApp.Models.MnistCnn();
var folder = Path.Combine(AppContext.BaseDirectory, "digits");
var labels = Npy.ReadInt64(Path.Combine(folder, "labels.npy"));
var correct = 0;
var files = Directory.GetFiles(folder, "sample_*.npy").Order(StringComparer.Ordinal).ToArray();
Span<float> logits = stackalloc float[10];
for (var i = 0; i < files.Length; i++)
{
    cnn.Run(Npy.ReadFloat32(files[i]), logits, n: 1);
    var predicted = MnistApp.Models.MnistCnn.ArgMax(logits); // generated from Postprocess="argmax" (SIMD)

    correct += predicted == labels[i] ? 1 : 0;
    Console.WriteLine($"digit {i}: label {labels[i]}, predicted {predicted}");
}

Console.WriteLine($"{correct}/{files.Length} correct");

/// <summary>Reads the little-endian .npy files the sample ships (float32 images, int64 labels).</summary>
internal static class Npy
{
    public static float[] ReadFloat32(string path) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Data(path)).ToArray();

    public static long[] ReadInt64(string path) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(Data(path)).ToArray();

    private static ReadOnlySpan<byte> Data(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = bytes[6] == 1 ? BitConverter.ToUInt16(bytes, 8) + 10 : BitConverter.ToInt32(bytes, 8) + 12;
        return bytes.AsSpan(headerLength);
    }
}
