using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Export;

/// <summary>The module trees the export tests use (seeded; every supported layer appears in one of them).</summary>
internal static class TestModels
{
    /// <summary>An MLP, [N,16] → [N,10]: Linear with every activation, both GELU forms and Softmax.</summary>
    public static Sequential Mlp()
    {
        manual_seed(1);
        return nn.Sequential(
            ("fc1", nn.Linear(16, 32)), ("relu", nn.ReLU()),
            ("fc2", nn.Linear(32, 32)), ("sigmoid", nn.Sigmoid()),
            ("fc3", nn.Linear(32, 32)), ("tanh", nn.Tanh()),
            ("fc4", nn.Linear(32, 32)), ("gelu", nn.GELU()),
            ("fc5", nn.Linear(32, 32, hasBias: false)), ("gelu_tanh", nn.GELU(GELU.Approximate.tanh)),
            ("drop", nn.Dropout(0.2)),
            ("head", nn.Linear(32, 10)), ("softmax", nn.Softmax(1)));
    }

    /// <summary>
    /// A CNN for MNIST, [N,1,28,28] → [N,10]: Conv2d with stride, padding, dilation and groups, BatchNorm2d, MaxPool2d,
    /// AvgPool2d (padded, ceil mode, pad not counted), AdaptiveAvgPool2d to 2x2, Flatten, Dropout and Linear, the
    /// convolutions in a nested Sequential.
    /// </summary>
    public static Sequential Cnn()
    {
        manual_seed(2);
        var features = nn.Sequential(
            ("conv1", nn.Conv2d(1, 8, 3, padding: 1)), ("bn1", nn.BatchNorm2d(8, momentum: 0.5)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(8, 16, 3, stride: 2, padding: 2, dilation: 2, groups: 2)), ("bn2", nn.BatchNorm2d(16, momentum: 0.5)), ("relu2", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),
            ("conv3", nn.Conv2d(16, 16, 3, padding: 1, groups: 4)), ("relu3", nn.ReLU()),
            ("pool2", nn.AvgPool2d(3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false)));
        return nn.Sequential(
            ("features", features),
            ("adapt", nn.AdaptiveAvgPool2d(2)),
            ("flatten", nn.Flatten()),
            ("drop", nn.Dropout(0.5)),
            ("fc", nn.Linear(16 * 2 * 2, 10)));
    }

    /// <summary>
    /// A residual network, [N,3,16,16] → [N,5]: a block with the identity shortcut (and a Same-padded even kernel) and
    /// a block that halves the resolution with a 1x1 convolution (and BatchNorm2d) on its shortcut.
    /// </summary>
    public static Sequential ResidualNet()
    {
        manual_seed(3);
        var identityBlock = new ResidualBlock(
            nn.Sequential(
                ("conv1", nn.Conv2d(8, 8, 4, Padding.Same)), ("bn1", nn.BatchNorm2d(8, momentum: 0.5)), ("relu", nn.ReLU()),
                ("conv2", nn.Conv2d(8, 8, 3, padding: 1)), ("bn2", nn.BatchNorm2d(8, momentum: 0.5))),
            shortcut: null, relu: true);
        var downBlock = new ResidualBlock(
            nn.Sequential(
                ("conv1", nn.Conv2d(8, 16, 3, stride: 2, padding: 1)), ("bn1", nn.BatchNorm2d(16, momentum: 0.5)), ("relu", nn.ReLU()),
                ("conv2", nn.Conv2d(16, 16, 3, padding: 1)), ("bn2", nn.BatchNorm2d(16, momentum: 0.5))),
            shortcut: nn.Sequential(("conv", nn.Conv2d(8, 16, 1, stride: 2, bias: false)), ("bn", nn.BatchNorm2d(16, momentum: 0.5))),
            relu: true);
        return nn.Sequential(
            ("stem", nn.Conv2d(3, 8, 3, padding: 1)), ("stem_bn", nn.BatchNorm2d(8, momentum: 0.5)), ("stem_relu", nn.ReLU()),
            ("block1", identityBlock),
            ("block2", downBlock),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("head", nn.Linear(16, 5)));
    }
}
