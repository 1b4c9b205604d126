using DeepSeek.Torch.Optim;
using DeepSeek.Torch.Pruning;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

public sealed class PruningTests
{
    [Fact]
    public void Structured_pruning_removes_the_weakest_channels_exactly()
    {
        manual_seed(5);
        var model = Models.Cnn(batchNorm: false);
        model.eval();
        var conv1 = (Conv2d)model.named_children().Single(c => c.name == "conv1").module;
        var conv2 = (Conv2d)model.named_children().Single(c => c.name == "conv2").module;
        var fc1 = (Linear)model.named_children().Single(c => c.name == "fc1").module;
        using (no_grad())
        {
            // channels 1, 4 of conv1 and 0, 5, 7, 9 of conv2 contribute nothing: pruning 25% / 33% must take exactly those
            foreach (var c in new[] { 1, 4 })
            {
                conv1.weight![c].zero_();
                conv1.bias![c].fill_(-1);
            }

            foreach (var c in new[] { 0, 5, 7, 9 })
            {
                conv2.weight![c].mul_(0.001);
                conv2.bias![c].fill_(-100);
            }

            foreach (var f in new[] { 0, 3, 4, 10, 11, 17, 20, 30, 31 })
            {
                fc1.weight![f].zero_();
                fc1.bias![f].fill_(-1);
            }
        }

        var keptConv1 = Models.Values(conv1.bias!);

        var input = randn(5, 1, 28, 28);
        var before = model.forward(input).detach();
        var pruned = new StructuredPruner(model, 0.3, ChannelNorm.L1).Prune();

        Assert.Equal([new PrunedLayer("conv1", 8, 6), new PrunedLayer("conv2", 12, 9), new PrunedLayer("fc1", 32, 23)], pruned);
        Assert.Equal([6L, 1, 3, 3], conv1.weight!.shape);
        Assert.Equal([9L, 6, 3, 3], conv2.weight!.shape);
        Assert.Equal([23L, 9 * 7 * 7], fc1.weight!.shape);
        Assert.Equal(9 * 7 * 7, fc1.in_features);
        Assert.Equal(6, conv1.in_channels == 1 ? conv1.out_channels : -1);
        Assert.Equal(6, conv2.in_channels);
        Assert.Equal(keptConv1.Where((_, i) => i is not (1 or 4)), Models.Values(conv1.bias!));
        var fc2 = (Linear)model.named_children().Single(c => c.name == "fc2").module;
        Assert.Equal([10L, 23], fc2.weight!.shape);
        // every removed channel or feature was dead (zero after ReLU): the model computes exactly what it did
        var after = model.forward(input).detach();
        Assert.True(Models.MaxAbsDifference(after, before) < 1e-5f, $"outputs differ by {Models.MaxAbsDifference(after, before)}");
    }

    [Fact]
    public void Structured_pruning_keeps_a_batch_norm_in_step_and_the_model_trains_on()
    {
        manual_seed(6);
        var model = Models.Cnn(batchNorm: true);
        model.train();
        for (var i = 0; i < 3; i++)
        {
            model.forward(randn(8, 1, 28, 28)).Dispose();
        }

        var bn = (BatchNorm2d)model.named_children().Single(c => c.name == "bn1").module;
        var meanBefore = Models.Values(bn.running_mean!);
        new StructuredPruner(model, 0.5, ChannelNorm.L2).Prune();
        var conv1 = (Conv2d)model.named_children().Single(c => c.name == "conv1").module;
        Assert.Equal(4, conv1.weight!.shape[0]);
        Assert.Equal(4, bn.weight!.shape[0]);
        Assert.Equal(4, bn.running_var!.shape[0]);
        Assert.All(Models.Values(bn.running_mean!), m => Assert.Contains(m, meanBefore));

        using var optimizer = new DeepSeekOptimizer(model.parameters());
        var loss = nn.functional.cross_entropy(model.forward(randn(8, 1, 28, 28)), randint(0, 10, [8]));
        loss.backward();
        optimizer.step();
        Assert.Equal([8L, 10], model.forward(randn(8, 1, 28, 28)).shape);
    }

    [Fact]
    public void A_model_without_a_prunable_pair_is_reported()
    {
        var single = nn.Sequential(("fc", nn.Linear(4, 2)));
        var error = Assert.Throws<InvalidOperationException>(() => new StructuredPruner(single, 0.3).Prune());
        Assert.Contains("nothing to prune", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StructuredPruner(single, 1.0));
    }

    [Fact]
    public void Magnitude_masks_stay_through_training_and_freeze_writes_zeros()
    {
        manual_seed(7);
        var model = Models.Mlp();
        using var pruner = new MagnitudePruner(model, 0.6);
        Assert.InRange(pruner.Sparsity, 0.59, 0.61);
        using var optimizer = new DeepSeekOptimizer(model.parameters(), lr: 1e-2);
        var fc1 = (Linear)model.named_children().First().module;
        var input = randn(16, 16);
        for (var step = 0; step < 5; step++)
        {
            optimizer.zero_grad();
            model.forward(input).pow(2).mean().backward();
            optimizer.step();
        }

        // a masked weight changed in training (weight decay), yet the model computes as if it were zero
        var masked = model.forward(input).detach();
        var sparsity = pruner.Freeze();
        Assert.InRange(sparsity, 0.59, 0.61);
        var zeros = (fc1.weight! == 0).sum().item<long>();
        Assert.InRange(zeros, (long)(0.59 * 16 * 32), (long)(0.61 * 16 * 32) + 1);
        Assert.True(Models.MaxAbsDifference(model.forward(input), masked) < 1e-6f);
    }

    [Theory]
    [InlineData(2, 4)]
    [InlineData(1, 16)]
    public void N_m_patterns_keep_n_of_every_m(int n, int m)
    {
        manual_seed(8);
        var model = nn.Sequential(("fc1", nn.Linear(64, 32)), ("relu", nn.ReLU()), ("fc2", nn.Linear(32, 10)));
        using var pruner = new MagnitudePruner(model, new SparsityPattern(n, m));
        Assert.Equal(["fc1", "fc2"], pruner.Layers);
        Assert.Equal(1 - ((double)n / m), pruner.Sparsity, 6);
        pruner.Freeze();
        foreach (var (_, module) in model.named_children().Where(c => c.module is Linear))
        {
            var groups = ((Linear)module).weight!.detach().reshape(-1, m);
            var kept = (groups != 0).sum(1);
            Assert.Equal(n, kept.max().item<long>());
        }
    }

    [Fact]
    public void A_pattern_that_does_not_divide_a_row_leaves_that_layer_dense()
    {
        var model = nn.Sequential(("fc1", nn.Linear(10, 16)), ("fc2", nn.Linear(16, 3)));
        using var pruner = new MagnitudePruner(model, SparsityPattern.OneSixteen);
        Assert.Equal(["fc2"], pruner.Layers);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SparsityPattern(4, 4));
    }
}
