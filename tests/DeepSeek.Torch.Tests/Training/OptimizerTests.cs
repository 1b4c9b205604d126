using DeepSeek.Torch.Distributed;
using DeepSeek.Torch.Optim;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

public sealed class OptimizerTests
{
    [Fact]
    public void Dense_steps_match_torch_adamw()
    {
        manual_seed(10);
        var ours = Models.Mlp();
        var theirs = Models.Mlp();
        theirs.load_state_dict(ours.state_dict());
        using var deepseek = new DeepSeekOptimizer(ours.parameters(), lr: 3e-3, beta1: 0.85, beta2: 0.99, weightDecay: 0.05);
        var adamw = optim.AdamW(theirs.parameters(), lr: 3e-3, beta1: 0.85, beta2: 0.99, weight_decay: 0.05);
        for (var step = 0; step < 10; step++)
        {
            var input = randn(8, 16);
            var target = randn(8, 4);
            deepseek.zero_grad();
            nn.functional.mse_loss(ours.forward(input), target).backward();
            deepseek.step();
            adamw.zero_grad();
            nn.functional.mse_loss(theirs.forward(input), target).backward();
            adamw.step();
        }

        foreach (var ((name, a), (_, b)) in ours.named_parameters().Zip(theirs.named_parameters()))
        {
            Assert.True(Models.MaxAbsDifference(a, b) < 1e-6f, $"{name} differs by {Models.MaxAbsDifference(a, b)}");
        }

        Assert.Equal(10, deepseek.StepCount);
        Assert.Equal(1.0, deepseek.CompressionRatio);
    }

    [Fact]
    public void Sparse_gradients_send_the_requested_share_and_keep_the_rest_for_later()
    {
        var parameter = new Parameter(zeros(1000));
        using var optimizer = new DeepSeekOptimizer([parameter], lr: 0.0, weightDecay: 0, sparseGrad: true, gradientDensity: 0.01);
        parameter.grad = arange(1000, dtype: ScalarType.Float32) + 1;
        optimizer.step();
        Assert.Equal(100.0, optimizer.CompressionRatio, 6);

        // error feedback: a gradient too small to be sent at first is sent once its residual has grown
        var small = new Parameter(zeros(4));
        using var second = new DeepSeekOptimizer([small], lr: 1.0, weightDecay: 0, sparseGrad: true, gradientDensity: 0.25);
        var updates = new List<float[]>();
        for (var step = 0; step < 4; step++)
        {
            var before = Models.Values(small);
            small.grad = tensor(new[] { 1.0f, 0.4f, 0.3f, 0.2f });
            second.step();
            updates.Add(Models.Values(small).Zip(before, (a, b) => a - b).ToArray());
        }

        // steps 1 and 2 send only the largest entry; by step 3 the second one's residual (0.4 · 3) outgrows it and is sent
        Assert.Equal([true, false, false, false], updates[0].Select(v => v != 0));
        Assert.Equal([true, false, false, false], updates[1].Select(v => v != 0));
        Assert.NotEqual(0f, updates[2][1]);
    }

    [Fact]
    public void Gradient_accumulation_of_four_micro_batches_equals_one_full_batch_step()
    {
        manual_seed(11);
        var accumulated = Models.Mlp();
        var full = Models.Mlp();
        full.load_state_dict(accumulated.state_dict());
        using var a = new DeepSeekOptimizer(accumulated.parameters(), lr: 1e-2);
        using var b = new DeepSeekOptimizer(full.parameters(), lr: 1e-2);
        var accumulation = a.GradientAccumulation(4);
        var input = randn(16, 16);
        var target = randn(16, 4);
        var stepped = new List<bool>();
        for (var micro = 0; micro < 4; micro++)
        {
            nn.functional.mse_loss(accumulated.forward(input[(micro * 4)..((micro + 1) * 4)]), target[(micro * 4)..((micro + 1) * 4)]).backward();
            stepped.Add(accumulation.Step());
        }

        nn.functional.mse_loss(full.forward(input), target).backward();
        b.step();
        Assert.Equal([false, false, false, true], stepped);
        foreach (var ((name, x), (_, y)) in accumulated.named_parameters().Zip(full.named_parameters()))
        {
            Assert.True(Models.MaxAbsDifference(x, y) < 1e-6f, $"{name} differs by {Models.MaxAbsDifference(x, y)}");
        }
    }

    [Fact]
    public void A_communication_backend_needs_a_distributed_scope()
    {
        var model = Models.Mlp();
        using var optimizer = new DeepSeekOptimizer(model.parameters(), commBackend: "gloo");
        model.forward(randn(2, 16)).sum().backward();
        var error = Assert.Throws<InvalidOperationException>(() => optimizer.step());
        Assert.Contains("DeepSeekDistributed", error.Message, StringComparison.Ordinal);

        using (var scope = new DeepSeekDistributed("gloo"))
        {
            Assert.Same(scope, DeepSeekDistributed.Current);
            Assert.Equal((0, 1), (scope.Rank, scope.WorldSize));
            optimizer.step();
        }

        Assert.Null(DeepSeekDistributed.Current);
        Assert.Throws<ArgumentException>(() => new DeepSeekOptimizer(model.parameters(), commBackend: "mpi"));
        Assert.Throws<ArgumentException>(() => new DeepSeekDistributed("mpi"));
    }

    [Fact]
    public void Nccl_without_cuda_is_refused_with_advice()
    {
        if (cuda.is_available())
        {
            return; // the rule is about hosts without CUDA
        }

        var error = Assert.Throws<NotSupportedException>(() => new DeepSeekDistributed("nccl"));
        Assert.Contains("gloo", error.Message, StringComparison.Ordinal);
    }
}
