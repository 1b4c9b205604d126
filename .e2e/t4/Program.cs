using DeepSeek.Torch.Optim;
using DeepSeek.Torch.V1;
using DeepSeek.Torch.V2;
using static TorchSharp.torch;
using DeepSeek.Torch.Distributed;
using DeepSeek.Torch.Pruning;
using DeepSeek.Torch.Quantization;

namespace Migration;

/// <summary>
/// Compresses and fine-tunes a small CNN the way 1.x and 2.x code did: ChannelPruner and Int8Quantizer (1.x), a loop on
/// torch.optim.Adam and the distributed launcher (2.x), and an optimizer with a communication backend but no scope.
/// </summary>
internal static class Program
{
    public static void Main()
    {
        using (var distributed = new DeepSeekDistributed("gloo"))
        {
            var rank = distributed.Rank;
            Train(rank);
        }
    }

    private static void Train(int rank)
    {
        manual_seed(1);
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 8, 3, padding: 1)),
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(8, 8, 3, padding: 1)),
            ("relu2", nn.ReLU()),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(8 * 8 * 8, 10)));
        var x = randn(16, 1, 8, 8);
        var y = randint(0, 10, [16]);

        new StructuredPruner(model, 0.25, ChannelNorm.L1).Prune();
        new DynamicQuantizer(model, bits: 8).Freeze();

        var optimizer = new DeepSeekOptimizer(model.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0);
        for (var step = 0; step < 5; step++)
        {
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(model.forward(x), y).backward();
            optimizer.Step();
        }

        using var distributed = new DeepSeekDistributed("gloo");
        using var averaged = new DeepSeekOptimizer(model.parameters(), lr: 1e-4, commBackend: "gloo");
        for (var step = 0; step < 5; step++)
        {
            averaged.ZeroGrad();
            nn.functional.cross_entropy(model.forward(x), y).backward();
            averaged.Step();
        }

        Console.WriteLine($"rank {rank}: loss {nn.functional.cross_entropy(model.forward(x), y).item<float>():F3}");
    }
}
