using DeepSeek.Torch.Quantization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

public sealed class QuantizationTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void Fake_quantization_puts_each_channel_on_its_own_grid_and_passes_gradients_straight_through(int bits)
    {
        manual_seed(1);
        var weight = randn(6, 5, 3, 3, requires_grad: true);
        var quantized = FakeQuantization.Apply(weight, bits);
        var levels = FakeQuantization.MaxLevel(bits);
        for (var channel = 0; channel < 6; channel++)
        {
            var row = quantized[channel].detach();
            var step = weight[channel].detach().abs().max().item<float>() / levels;
            var onGrid = (row / step).round() * step;
            Assert.True(Models.MaxAbsDifference(row, onGrid) < 1e-5f);
            Assert.True(Models.MaxAbsDifference(row, weight[channel].detach()) <= (step / 2) + 1e-6f);
            Assert.True(row.unique().Item1.numel() <= (2 * levels) + 1);
        }

        var upstream = randn(6, 5, 3, 3);
        (quantized * upstream).sum().backward();
        Assert.Equal(0f, Models.MaxAbsDifference(weight.grad!, upstream));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(0)]
    public void Bits_other_than_4_or_8_are_refused(int bits)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicQuantizer(Models.Mlp(), bits));
        Assert.Contains("4 or 8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optimize_runs_the_layers_on_quantized_weights_and_freeze_writes_them()
    {
        manual_seed(2);
        var model = Models.Cnn();
        model.eval();
        var input = randn(4, 1, 28, 28);
        var original = model.forward(input).detach();

        using var quantizer = new DynamicQuantizer(model, bits: 4).Optimize();
        Assert.Equal(["conv1", "conv2", "fc1", "fc2"], quantizer.Layers);
        var fake = model.forward(input).detach();
        Assert.True(Models.MaxAbsDifference(fake, original) > 1e-3f, "4-bit weights change the output");

        var largest = quantizer.Freeze();
        Assert.True(largest > 0);
        var frozen = model.forward(input).detach();
        Assert.True(Models.MaxAbsDifference(frozen, fake) < 1e-4f, $"frozen output differs from fake-quantized by {Models.MaxAbsDifference(frozen, fake)}");
        var fc2 = (Linear)model.named_children().Single(c => c.name == "fc2").module;
        Assert.True(fc2.weight!.unique().Item1.numel() <= 10 * 15, "4 bits: at most 15 levels per output row");
    }

    [Fact]
    public void Quantization_aware_steps_move_the_float_weights_not_only_the_grid()
    {
        manual_seed(3);
        var model = Models.Mlp();
        using var quantizer = new DynamicQuantizer(model, bits: 8).Optimize();
        var fc1 = (Linear)model.named_children().First().module;
        var before = fc1.weight!.detach().clone();
        using var optimizer = new Optim.DeepSeekOptimizer(model.parameters(), lr: 1e-4, weightDecay: 0);
        var loss = model.forward(randn(8, 16)).pow(2).mean();
        loss.backward();
        Assert.NotNull(fc1.weight!.grad);
        optimizer.step();
        var change = (fc1.weight!.detach() - before).abs();
        // a step of 1e-4 is far below the 8-bit grid step, yet the float weights moved: straight-through, not stuck on the grid
        Assert.True(change.max().item<float>() > 5e-5f);
        var gridStep = before.abs().max().item<float>() / 127;
        Assert.True(change.max().item<float>() < gridStep / 10);
    }

    [Fact]
    public void Dispose_turns_fake_quantization_off_without_changing_weights()
    {
        manual_seed(4);
        var model = Models.Mlp();
        var input = randn(3, 16);
        var original = model.forward(input).detach();
        var quantizer = new DynamicQuantizer(model, bits: 4).Optimize();
        Assert.True(Models.MaxAbsDifference(model.forward(input), original) > 0);
        quantizer.Dispose();
        Assert.Equal(0f, Models.MaxAbsDifference(model.forward(input), original));
    }
}
