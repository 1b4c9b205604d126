using System.Diagnostics;
using DeepSeek.Testing;
using DeepSeek.Torch.Distillation;
using DeepSeek.Torch.Export;
using DeepSeek.Torch.Optim;
using DeepSeek.Torch.Pruning;
using DeepSeek.Torch.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchMnist;

/// <summary>How long each step trains.</summary>
/// <param name="TeacherEpochs">Epochs of the teacher over the 8,000 training digits.</param>
/// <param name="StudentEpochs">Epochs of quantization-aware distillation of the pruned student.</param>
/// <param name="PruneRatio">Share of channels the structured pruner removes.</param>
/// <param name="Seed">Random seed (weights and batch order).</param>
/// <param name="SparseEpochs">Epochs of distillation into the 1:16 sparse student (0: no sparse student).</param>
public sealed record PipelineOptions(int TeacherEpochs = 6, int StudentEpochs = 2, double PruneRatio = 0.3, int Seed = 1, int SparseEpochs = 4);

/// <summary>Accuracy on the 2,000 held-out digits after one step, and the step's time.</summary>
public sealed record StepResult(string Step, double Accuracy, TimeSpan Time, string Detail);

/// <summary>What the pipeline did.</summary>
public sealed record PipelineReport(IReadOnlyList<StepResult> Steps, string Model, Sequential Teacher, Sequential Student, long TeacherParameters, long StudentParameters)
{
    /// <summary>The 1:16 sparse student's export (<c>mnist-sparse.onnx</c>), or null when it was not trained.</summary>
    public string? SparseModel { get; init; }

    /// <summary>The 1:16 sparse student (full shapes, 15 of every 16 weights zero in its masked layers), or null.</summary>
    public Sequential? Sparse { get; init; }

    /// <summary>The held-out accuracy of a step by name.</summary>
    public double Accuracy(string step) => Steps.Single(s => s.Step == step).Accuracy;
}

/// <summary>
/// The end-to-end recipe: teacher CNN → StructuredPruner 30% → DynamicQuantizer(8) fine-tuning with a Distiller from the
/// unpruned teacher → Freeze → OnnxExporter; and beside it a sparse student: the teacher masked by MagnitudePruner to 1:16
/// (at most 1 of every 16 weights along each layer's input), distilled from the teacher, frozen and exported. Every accuracy
/// is on the 2,000 held-out digits, never used for training.
/// </summary>
public static class MnistPipeline
{
    private const int BatchSize = 64;

    /// <summary>Runs the recipe and writes <c>mnist-student.onnx</c> into <paramref name="outputFolder"/>.</summary>
    public static PipelineReport Run(string outputFolder, PipelineOptions? options = null, Action<string>? log = null)
    {
        options ??= new PipelineOptions();
        log ??= _ => { };
        manual_seed(options.Seed);
        set_num_threads(Math.Max(1, Environment.ProcessorCount));
        var (trainImages, trainLabels) = Tensors(MnistDigits.Training);
        var (testImages, testLabels) = Tensors(MnistDigits.HeldOut);
        var steps = new List<StepResult>();
        void Record(string step, nn.Module<Tensor, Tensor> model, Stopwatch clock, string detail)
        {
            var accuracy = Accuracy(model, testImages, testLabels);
            steps.Add(new StepResult(step, accuracy, clock.Elapsed, detail));
            log($"{step,-34} {accuracy,7:P2}  {clock.Elapsed.TotalSeconds,6:F1} s  {detail}");
        }

        // 1. Teacher.
        var clock = Stopwatch.StartNew();
        var teacher = Cnn();
        using (var optimizer = new DeepSeekOptimizer(teacher.parameters(), lr: 2e-3, weightDecay: 1e-4))
        {
            for (var epoch = 0; epoch < options.TeacherEpochs; epoch++)
            {
                optimizer.LearningRate = 2e-3 * Math.Pow(0.7, epoch);
                ForEachBatch(trainImages, trainLabels, options.Seed + epoch, (x, y) =>
                {
                    teacher.train();
                    optimizer.zero_grad();
                    nn.functional.cross_entropy(teacher.forward(x), y).backward();
                    optimizer.step();
                });
            }
        }

        var teacherParameters = Count(teacher);
        Record("teacher", teacher, clock, $"{teacherParameters:N0} parameters");

        // 2. Student: a copy of the teacher, 30% of its channels removed.
        clock.Restart();
        var student = Cnn();
        student.load_state_dict(teacher.state_dict());
        var pruned = new StructuredPruner(student, options.PruneRatio, ChannelNorm.L1).Prune();
        var studentParameters = Count(student);
        Record("pruned (no fine-tuning)", student, clock,
            $"{string.Join(", ", pruned.Select(p => $"{p.Name} {p.ChannelsBefore}→{p.ChannelsAfter}"))}; {studentParameters:N0} parameters");

        // 3. Quantization-aware fine-tuning of the student, distilled from the unpruned teacher.
        clock.Restart();
        // A step whose gradients are not finite is skipped and counted (NonFinitePolicy.SkipStep): on some machines libtorch's CPU
        // convolution backward returns NaN now and then for the same inputs (issue 11); one lost step costs nothing.
        using (var quantizer = new DynamicQuantizer(student, bits: 8).Optimize())
        using (var optimizer = new DeepSeekOptimizer(student.parameters(), lr: 1e-3, weightDecay: 1e-4) { NonFinite = NonFinitePolicy.SkipStep })
        {
            var distiller = new Distiller(teacher, student, temperature: 4, alpha: 0.7);
            for (var epoch = 0; epoch < options.StudentEpochs; epoch++)
            {
                ForEachBatch(trainImages, trainLabels, options.Seed + 100 + epoch, (x, y) => distiller.Step(x, y, optimizer));
            }

            Record("pruned + int8 QAT + distilled", student, clock, $"fake-quantized weights (8 bits, per channel); {optimizer.SkippedSteps} step(s) skipped");
            clock.Restart();
            var change = quantizer.Freeze();
            Record("frozen int8 weights", student, clock, $"largest weight change {change:G3}");
        }

        // 4. Export (checked in ONNX Runtime by the tests).
        Directory.CreateDirectory(outputFolder);
        var path = Path.Combine(outputFolder, "mnist-student.onnx");
        using (no_grad())
        {
            OnnxExporter.Export(student, testImages[..1], path, new OnnxExportOptions { InputName = "image", OutputName = "logits" });
        }

        log($"exported {path} ({new FileInfo(path).Length:N0} bytes)");

        // 5. Sparse student: the teacher's hidden layer (fc1: 100,352 of its 105,962 parameters) masked to 1:16 along its
        // input, distilled from the teacher with the mask held, then frozen: the zeros are in the weights the export writes.
        // The convolutions and the classifier stay dense (1:16 leaves a 3x3x16 filter 9 weights and a class 4 of 64 inputs).
        if (options.SparseEpochs <= 0)
        {
            return new PipelineReport(steps, path, teacher, student, teacherParameters, studentParameters);
        }

        clock.Restart();
        var sparse = Cnn();
        sparse.load_state_dict(teacher.state_dict());
        var pruner = new MagnitudePruner(sparse, SparsityPattern.OneSixteen, ["fc1"]);
        var masked = $"{pruner.Sparsity:P1} of {string.Join(", ", pruner.Layers)} zero";
        Record("1:16 sparse (no fine-tuning)", sparse, clock, masked);
        clock.Restart();
        long skipped;
        using (var optimizer = new DeepSeekOptimizer(sparse.parameters(), lr: 2e-3, weightDecay: 0) { NonFinite = NonFinitePolicy.SkipStep })
        {
            var distiller = new Distiller(teacher, sparse, temperature: 4, alpha: 0.7);
            for (var epoch = 0; epoch < options.SparseEpochs; epoch++)
            {
                optimizer.LearningRate = 2e-3 * Math.Pow(0.6, epoch);
                ForEachBatch(trainImages, trainLabels, options.Seed + 200 + epoch, (x, y) => distiller.Step(x, y, optimizer));
            }

            skipped = optimizer.SkippedSteps;
        }

        pruner.Freeze();
        Record("1:16 sparse + distilled", sparse, clock, $"{masked}; {skipped} step(s) skipped");
        var sparsePath = Path.Combine(outputFolder, "mnist-sparse.onnx");
        using (no_grad())
        {
            OnnxExporter.Export(sparse, testImages[..1], sparsePath, new OnnxExportOptions { InputName = "image", OutputName = "logits" });
        }

        log($"exported {sparsePath} ({new FileInfo(sparsePath).Length:N0} bytes)");
        return new PipelineReport(steps, path, teacher, student, teacherParameters, studentParameters) { SparseModel = sparsePath, Sparse = sparse };
    }

    /// <summary>The CNN: two conv blocks (conv, batch norm, ReLU, max pool), a hidden layer and the classifier.</summary>
    public static Sequential Cnn() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 16, 3, padding: 1)),
        ("bn1", nn.BatchNorm2d(16)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(16, 32, 3, padding: 1)),
        ("bn2", nn.BatchNorm2d(32)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(32 * 7 * 7, 64)),
        ("relu3", nn.ReLU()),
        ("dropout", nn.Dropout(0.2)),
        ("fc2", nn.Linear(64, 10)));

    /// <summary>Share of <paramref name="images"/> the model classifies as <paramref name="labels"/> (eval mode).</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var correct = (model.forward(images).argmax(1) == labels).sum().item<long>();
        return (double)correct / labels.shape[0];
    }

    /// <summary>Images [N,1,28,28] and labels [N] of a set of digits.</summary>
    public static (Tensor Images, Tensor Labels) Tensors(IReadOnlyList<MnistDigit> digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        var images = tensor(MnistDigits.Batch(digits), [digits.Count, 1, MnistDigits.Side, MnistDigits.Side]);
        var labels = tensor(digits.Select(d => (long)d.Label).ToArray());
        return (images, labels);
    }

    /// <summary>
    /// Runs <paramref name="train"/> on each batch of a shuffled epoch. Each batch lives in its own dispose scope, so its
    /// tensors stay reachable until the step is done and are freed on this thread, never by a finalizer during a native
    /// call (a batch tensor finalized while libtorch reads it is a use after free: issue 11).
    /// </summary>
    private static void ForEachBatch(Tensor images, Tensor labels, int seed, Action<Tensor, Tensor> train)
    {
        using var generator = new Generator((ulong)seed);
        using var order = randperm(images.shape[0], generator: generator);
        for (long start = 0; start < images.shape[0]; start += BatchSize)
        {
            using var scope = NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(BatchSize, images.shape[0] - start));
            train(images.index_select(0, index), labels.index_select(0, index));
        }
    }

    private static long Count(nn.Module module) => module.parameters().Sum(p => p.numel());
}
