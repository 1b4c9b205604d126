using System.Diagnostics;
using System.Globalization;
using DeepSeek.Testing;
using DeepSeek.Torch.Optim;
using TorchMnist;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Benchmarks;

/// <summary>
/// The accuracy cost of sparseGrad on MNIST: the same CNN, seed, batches and epochs trained twice, with dense gradients and
/// with top-k sparse gradients (1% and 10% density, error feedback); held-out accuracy, gradient compression, time.
/// </summary>
internal static class SparseGradientTraining
{
    public static int Run(int epochs)
    {
        set_num_threads(Math.Max(1, Environment.ProcessorCount));
        var (trainImages, trainLabels) = MnistPipeline.Tensors(MnistDigits.Training);
        var (testImages, testLabels) = MnistPipeline.Tensors(MnistDigits.HeldOut);
        Console.WriteLine($"| gradients | held-out accuracy | compression (dense / sent) | time ({epochs} epochs) |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, sparse, density) in new[] { ("dense", false, 1.0), ("sparseGrad, 10%", true, 0.1), ("sparseGrad, 1%", true, 0.01) })
        {
            manual_seed(1);
            var model = MnistPipeline.Cnn();
            using var optimizer = new DeepSeekOptimizer(model.parameters(), lr: 2e-3, weightDecay: 1e-4, sparseGrad: sparse, gradientDensity: density);
            var clock = Stopwatch.StartNew();
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                var order = randperm(trainImages.shape[0], generator: new Generator((ulong)(epoch + 1)));
                for (long start = 0; start < trainImages.shape[0]; start += 64)
                {
                    using var scope = NewDisposeScope();
                    var index = order.narrow(0, start, Math.Min(64, trainImages.shape[0] - start));
                    model.train();
                    optimizer.zero_grad();
                    nn.functional.cross_entropy(model.forward(trainImages.index_select(0, index)), trainLabels.index_select(0, index)).backward();
                    optimizer.step();
                }
            }

            var accuracy = MnistPipeline.Accuracy(model, testImages, testLabels);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {accuracy:P2} | {optimizer.CompressionRatio:F1}x | {clock.Elapsed.TotalSeconds:F1} s |"));
        }

        return 0;
    }
}
