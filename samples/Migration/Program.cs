using DeepSeek.Torch.Optim;
using DeepSeek.Torch.V1;
using DeepSeek.Torch.V2;
using static TorchSharp.torch;

namespace Migration;

/// <summary>
/// Compresses and fine-tunes a small CNN the way 1.x and 2.x code did: ChannelPruner and Int8Quantizer (1.x), a loop on
/// torch.optim.Adam and the distributed launcher (2.x), and an optimizer with a communication backend but no scope, stepped
/// with the 3.0 names ZeroGrad()/Step().
/// </summary>
internal static class Program
{
    public static void Main()
    {
        DistributedLauncher.Launch(1, "gloo", rank => Train(rank));
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

        new ChannelPruner(model, 0.25).Prune();
        new Int8Quantizer(model).Quantize();

        var optimizer = optim.Adam(model.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999);
        for (var step = 0; step < 5; step++)
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.forward(x), y).backward();
            optimizer.step();
        }

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
