using DeepSeek.Engine.Data;
using DeepSeek.Onnx.Model;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Mnist;

/// <summary>
/// The MNIST models in tests/data/mnist (trained by tests/DeepSeek.Mnist.Trainer) and the digit split they were trained on:
/// the committed files run in ONNX Runtime and reach their documented accuracy on the held-out digits.
/// </summary>
public sealed class MnistFixtureTests
{
    public static TheoryData<string, double> Models => new()
    {
        { "mnist-mlp.onnx", 0.95 },
        { "mnist-cnn.onnx", 0.96 },
    };

    public static TheoryData<string> Files => new() { "mnist-mlp.onnx", "mnist-cnn.onnx" };

    private static string ModelPath(string file) => Path.Combine(TestAssets.DataDirectory, "mnist", file);

    private static long[] InputShape(string file, int batch) => file.Contains("cnn", StringComparison.Ordinal)
        ? [batch, 1, MnistDigits.Side, MnistDigits.Side]
        : [batch, MnistDigits.ImageSize];

    [Fact]
    public void The_split_has_8000_training_and_2000_held_out_digits_sharing_no_image()
    {
        var all = MnistDigits.Load();
        var training = MnistDigits.Training;
        var heldOut = MnistDigits.HeldOut;

        Assert.Equal(10_000, all.Count);
        Assert.Equal(8_000, training.Count);
        Assert.Equal(2_000, heldOut.Count);
        Assert.Equal(Enumerable.Range(0, 10_000), all.Select(d => d.Index));
        Assert.Equal(8_000, training.Select(d => d.Index).Distinct().Count());
        Assert.Equal(2_000, heldOut.Select(d => d.Index).Distinct().Count());
        Assert.Empty(training.Select(d => d.Index).Intersect(heldOut.Select(d => d.Index)));
        Assert.Equal(all.Select(d => d.Index), training.Concat(heldOut).Select(d => d.Index).Order());

        // Every digit in both sets, in about its share (80% / 20% of its images), and images of 784 pixels in [0,1].
        foreach (var label in Enumerable.Range(0, 10))
        {
            var images = all.Count(d => d.Label == label);
            Assert.Equal(Math.Round(images * 0.8, MidpointRounding.AwayFromZero), training.Count(d => d.Label == label));
        }

        Assert.All(all, d => Assert.Equal(MnistDigits.ImageSize, d.Image.Length));
        Assert.All(all, d => Assert.InRange(d.Image.Min(), 0f, 1f));
        Assert.All(all, d => Assert.InRange(d.Image.Max(), 0f, 1f));

        // Interleaved: the first ten digits of each set are 0..9.
        Assert.Equal(Enumerable.Range(0, 10), training.Take(10).Select(d => d.Label));
        Assert.Equal(Enumerable.Range(0, 10), heldOut.Take(10).Select(d => d.Label));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_committed_model_reaches_its_documented_held_out_accuracy_in_onnx_runtime(string file, double minimum)
    {
        var path = ModelPath(file);
        var heldOut = MnistDigits.HeldOut;

        var logits = Ort.Run(path, "input", MnistDigits.Batch(heldOut), InputShape(file, heldOut.Count))[0];

        Assert.Equal(heldOut.Count * 10, logits.Length);
        var correct = 0;
        for (var i = 0; i < heldOut.Count; i++)
        {
            var scores = logits.AsSpan(i * 10, 10);
            if (ArgMax(scores) == heldOut[i].Label)
            {
                correct++;
            }
        }

        var accuracy = (double)correct / heldOut.Count;
        Assert.True(accuracy >= minimum, $"{file}: held-out accuracy {accuracy:P2} ({correct}/{heldOut.Count}) is below {minimum:P0}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_committed_model_is_small_ir7_opset13_with_a_symbolic_batch_dim(string file)
    {
        var path = ModelPath(file);
        var model = OnnxModel.Load(path);

        Assert.True(new FileInfo(path).Length < 1_000_000);
        Assert.Equal(7, model.Proto.IrVersion);
        Assert.Equal(13, Assert.Single(model.Proto.OpsetImport).Version);
        var input = Assert.Single(model.Graph.Inputs);
        var output = Assert.Single(model.Graph.Outputs);
        Assert.Equal("input", input.Name);
        Assert.Equal("N", input.Shape![0].Symbol);
        Assert.Equal(InputShape(file, 1).Skip(1).Select(d => (long?)d), input.Shape.Skip(1).Select(d => d.Value));
        Assert.Equal("logits", output.Name);
        Assert.Equal(new[] { "N", "10" }, output.Shape!.Select(d => d.ToString()));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_data_folder_of_held_out_digits_loads_for_the_model_with_its_labels(string file)
    {
        using var temp = new TempDirectory();
        var digits = MnistDigits.HeldOut.Take(20).ToArray();
        var folder = MnistDigits.WriteDataFolder(temp.File("digits"), digits, cnnLayout: file.Contains("cnn", StringComparison.Ordinal));

        var data = DataSet.Load(folder, OnnxModel.Load(ModelPath(file)));

        Assert.Equal(DataLayout.NumPyFiles, data.Layout);
        Assert.True(data.HasLabels);
        Assert.Equal(20, data.Samples.Count);
        Assert.Equal(digits.Select(d => (long)d.Label), data.Samples.Select(s => s.Label!.Value));
        Assert.Equal(InputShape(file, 1), data.Samples[3].Inputs["input"].Shape);
        Assert.Equal(digits[3].Image, data.Samples[3].Inputs["input"].GetData<float>());
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
