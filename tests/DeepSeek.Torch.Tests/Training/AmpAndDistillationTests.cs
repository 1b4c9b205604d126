using DeepSeek.Torch.Distillation;
using DeepSeek.Torch.Mixed;
using DeepSeek.Torch.Optim;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

public sealed class AmpAndDistillationTests
{
    [Fact]
    public void Autocast_computes_in_bfloat16_from_float32_weights_and_ends_cleanly()
    {
        manual_seed(20);
        var model = Models.Cnn(batchNorm: false);
        model.eval();
        var input = randn(4, 1, 28, 28);
        var exact = model.forward(input).detach();
        var amp = new Amp(model, ScalarType.BFloat16);
        Assert.False(amp.LossScaling);
        Tensor mixed;
        using (amp.Autocast())
        {
            mixed = model.forward(input);
        }

        Assert.Equal(ScalarType.Float32, mixed.dtype);
        var error = Models.MaxAbsDifference(mixed, exact);
        var size = exact.abs().max().item<float>();
        Assert.True(error > 0, "bfloat16 rounding shows");
        Assert.True(error < 0.05 * size, $"bfloat16 error {error} against outputs of size {size}");

        // gradients reach the float32 weights
        mixed.sum().backward();
        var conv1 = (Conv2d)model.named_children().First().module;
        Assert.Equal(ScalarType.Float32, conv1.weight!.dtype);
        Assert.NotNull(conv1.weight!.grad);
        Assert.Equal(0f, Models.MaxAbsDifference(model.forward(input), exact));
    }

    [Fact]
    public void Float16_loss_scaling_skips_an_overflowing_step_and_halves_the_scale()
    {
        var model = Models.Mlp();
        var amp = new Amp(model, ScalarType.Float16);
        Assert.True(amp.LossScaling);
        Assert.Equal(65536.0, amp.Scale);
        using var optimizer = new DeepSeekOptimizer(model.parameters());
        var fc1 = (Linear)model.named_children().First().module;
        var before = Models.Values(fc1.weight!);
        foreach (var parameter in model.parameters())
        {
            parameter.grad = full_like(parameter, float.PositiveInfinity);
        }

        Assert.False(amp.Step(optimizer));
        Assert.Equal(32768.0, amp.Scale);
        Assert.Equal(1, amp.SkippedSteps);
        Assert.Equal(before, Models.Values(fc1.weight!));

        foreach (var parameter in model.parameters())
        {
            parameter.grad = full_like(parameter, amp.Scale * 1e-3);
        }

        Assert.True(amp.Step(optimizer));
        Assert.NotEqual(before, Models.Values(fc1.weight!));
        Assert.Throws<ArgumentException>(() => new Amp(model, ScalarType.Float64));
    }

    [Fact]
    public void The_distillation_loss_is_cross_entropy_at_alpha_0_and_zero_for_a_perfect_copy_at_alpha_1()
    {
        manual_seed(21);
        var logits = randn(6, 10);
        var labels = randint(0, 10, [6]);
        var model = Models.Mlp();
        var hard = new Distiller(model, model, temperature: 3, alpha: 0).Loss(logits, randn(6, 10), labels);
        Assert.Equal(nn.functional.cross_entropy(logits, labels).item<float>(), hard.item<float>(), 5);
        var soft = new Distiller(model, model, temperature: 3, alpha: 1).Loss(logits, logits.clone(), labels);
        Assert.Equal(0f, soft.item<float>(), 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Distiller(model, model, temperature: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Distiller(model, model, alpha: 1.5));
    }

    [Fact]
    public void Distillation_steps_bring_the_student_towards_the_teacher()
    {
        manual_seed(22);
        var teacher = Models.Mlp();
        var student = nn.Sequential(("fc1", nn.Linear(16, 8)), ("relu", nn.ReLU()), ("fc2", nn.Linear(8, 4)));
        var input = randn(64, 16);
        var labels = teacher.forward(input).argmax(1);
        var distiller = new Distiller(teacher, student, temperature: 2, alpha: 0.9);
        using var optimizer = new DeepSeekOptimizer(student.parameters(), lr: 1e-2, weightDecay: 0);
        var agreedBefore = (student.forward(input).argmax(1) == labels).sum().item<long>();
        var first = distiller.Step(input, labels, optimizer);
        var last = first;
        for (var step = 0; step < 100; step++)
        {
            last = distiller.Step(input, labels, optimizer);
        }

        var agreedAfter = (student.forward(input).argmax(1) == labels).sum().item<long>();
        Assert.True(last < first * 0.7, $"loss {first} → {last}");
        Assert.True(agreedAfter >= 56 && agreedAfter > agreedBefore, $"student agrees with the teacher on {agreedBefore} → {agreedAfter} of 64");
    }
}
