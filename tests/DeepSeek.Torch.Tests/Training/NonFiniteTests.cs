using DeepSeek.Torch.Mixed;
using DeepSeek.Torch.Native;
using DeepSeek.Torch.Optim;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

/// <summary>A NaN or an infinity in training never passes silently (issue 11).</summary>
public sealed class NonFiniteTests
{
    [Fact]
    public void A_NaN_gradient_throws_DSB0073_naming_the_step_and_parameter_and_updates_nothing()
    {
        manual_seed(30);
        var model = Models.Mlp();
        using var optimizer = new DeepSeekOptimizer(model.named_parameters());
        Train(model, optimizer);
        Assert.Equal(1, optimizer.StepCount);

        var before = model.parameters().Select(Models.Values).ToList();
        Backward(model);
        var fc2 = (Linear)model.named_children().Last().module;
        using (no_grad())
        {
            fc2.weight!.grad![1, 3] = float.NaN;
            fc2.weight!.grad![2, 5] = float.NegativeInfinity;
        }

        var error = Assert.Throws<NonFiniteValueException>(() => optimizer.step());

        Assert.Equal("DSB0073", error.DiagnosticId);
        Assert.Equal(2, error.Step);
        Assert.Equal(NonFiniteValueKind.Gradient, error.Kind);
        Assert.Equal("fc2.weight", error.Name);
        Assert.Equal(2, error.Count);
        Assert.StartsWith("DSB0073: step 2: the gradient of fc2.weight [4,32] holds 2 NaN/infinite values of 128 — ", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, optimizer.StepCount);
        Assert.Equal(before, model.parameters().Select(Models.Values).ToList());
    }

    [Fact]
    public void A_non_finite_weight_is_reported_as_a_weight_and_unnamed_parameters_by_position()
    {
        var model = Models.Mlp();
        using var optimizer = new DeepSeekOptimizer(model.parameters());
        Backward(model);
        using (no_grad())
        {
            model.parameters().First().index_put_(float.PositiveInfinity, 0, 0);
        }

        var error = Assert.Throws<NonFiniteValueException>(() => optimizer.step());

        Assert.Equal(NonFiniteValueKind.Weight, error.Kind);
        Assert.Equal("parameter 0", error.Name);
        Assert.Equal(1, error.Count);
    }

    [Fact]
    public void SkipStep_skips_counts_and_clears_the_gradients_then_training_continues()
    {
        manual_seed(31);
        var model = Models.Mlp();
        using var optimizer = new DeepSeekOptimizer(model.named_parameters()) { NonFinite = NonFinitePolicy.SkipStep };
        var before = model.parameters().Select(Models.Values).ToList();
        Backward(model);
        using (no_grad())
        {
            model.parameters().Last().grad![0] = float.NaN;
        }

        optimizer.step();

        Assert.Equal(1, optimizer.SkippedSteps);
        Assert.Equal(0, optimizer.StepCount);
        Assert.Equal(before, model.parameters().Select(Models.Values).ToList());
        Assert.All(model.parameters(), p => Assert.Equal(0f, p.grad!.abs().max().item<float>()));

        Train(model, optimizer);
        Assert.Equal(1, optimizer.StepCount);
        Assert.NotEqual(before, model.parameters().Select(Models.Values).ToList());
    }

    [Fact]
    public void Bfloat16_amp_steps_through_the_optimizer_check()
    {
        var model = Models.Mlp();
        var amp = new Amp(model, ScalarType.BFloat16);
        using var optimizer = new DeepSeekOptimizer(model.named_parameters());
        Backward(model);
        using (no_grad())
        {
            model.parameters().First().grad![0, 0] = float.NaN;
        }

        var error = Assert.Throws<NonFiniteValueException>(() => amp.Step(optimizer));
        Assert.Equal("fc1.weight", error.Name);
    }

    [Fact]
    public void The_oneDNN_instruction_set_is_capped_before_libtorch_runs_a_convolution()
    {
        // DeepSeek.Torch applies the cap when it loads; the user's own value, where set (the portable test variant sets one), wins.
        Assert.Equal("SSE41", OneDnnIsaCap.Cap);
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.NotNull(OneDnnIsaCap.Current);
            if (OneDnnIsaCap.AppliedByDeepSeek)
            {
                Assert.Equal("SSE41", OneDnnIsaCap.Current);
            }
        }

        // and convolutions still compute: a 3x3 box filter of ones over ones is 9 everywhere
        using var conv = nn.Conv2d(1, 8, 3, bias: false);
        using (no_grad())
        {
            conv.weight!.fill_(1);
        }

        using var output = conv.forward(ones(2, 1, 6, 6));
        Assert.Equal(9f, output.min().item<float>());
        Assert.Equal(9f, output.max().item<float>());
    }

    private static void Backward(Sequential model)
    {
        using var scope = NewDisposeScope();
        foreach (var p in model.parameters())
        {
            p.grad?.zero_();
        }

        nn.functional.mse_loss(model.forward(ones(4, 16)), zeros(4, 4)).backward();
    }

    private static void Train(Sequential model, DeepSeekOptimizer optimizer)
    {
        Backward(model);
        optimizer.step();
    }
}
