using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

/// <summary>Small models for unit tests of one part (the MNIST end-to-end test trains a real one).</summary>
internal static class Models
{
    public static Sequential Cnn(bool batchNorm = true)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("conv1", nn.Conv2d(1, 8, 3, padding: 1)) };
        if (batchNorm)
        {
            layers.Add(("bn1", nn.BatchNorm2d(8)));
        }

        layers.AddRange(
        [
            ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(8, 12, 3, padding: 1)),
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(12 * 7 * 7, 32)),
            ("relu3", nn.ReLU()),
            ("fc2", nn.Linear(32, 10)),
        ]);
        return nn.Sequential(layers.ToArray());
    }

    public static Sequential Mlp() => nn.Sequential(("fc1", nn.Linear(16, 32)), ("relu", nn.ReLU()), ("fc2", nn.Linear(32, 4)));

    public static float[] Values(Tensor t) => t.detach().cpu().contiguous().to(ScalarType.Float32).data<float>().ToArray();

    public static float MaxAbsDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();
}
