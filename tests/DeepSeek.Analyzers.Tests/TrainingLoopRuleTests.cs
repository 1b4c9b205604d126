using DeepSeek.Migration.Analyzers;
using DeepSeek.Migration.CodeFixes;

namespace DeepSeek.Analyzers.Tests;

/// <summary>DSM0003 (Adam loop → DeepSeekOptimizer), DSM0004 (commBackend outside a scope), DSM0005 (nccl off cuda).</summary>
public sealed class TrainingLoopRuleTests
{
    [Fact]
    public Task DSM0003_adam_over_a_quantized_module_becomes_deepseek_optimizer_with_fix_all() => Verifier.Fix<TrainingLoopAnalyzer, AdamToDeepSeekOptimizerFix>("""
        using DeepSeek.Torch.Quantization;
        using DeepSeek.Torch.Pruning;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> other, Tensor x)
            {
                using var quantizer = new DynamicQuantizer(model, 8).Optimize();
                new StructuredPruner(other, 0.3).Prune();
                var optimizer = {|DSM0003:optim.Adam(model.parameters(), lr: 1e-3, beta1: 0.8)|};
                var second = {|DSM0003:optim.AdamW(other.parameters(), 0.01, weight_decay: 0.05)|};
                for (var i = 0; i < 3; i++)
                {
                    optimizer.zero_grad();
                    model.forward(x).sum().backward();
                    optimizer.step();
                    second.step();
                }
            }
        }
        """, """
        using DeepSeek.Torch.Quantization;
        using DeepSeek.Torch.Pruning;
        using static TorchSharp.torch;
        using DeepSeek.Torch.Optim;

        class C
        {
            void M(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> other, Tensor x)
            {
                using var quantizer = new DynamicQuantizer(model, 8).Optimize();
                new StructuredPruner(other, 0.3).Prune();
                var optimizer = new DeepSeekOptimizer(model.parameters(), lr: 1e-3, beta1: 0.8, weightDecay: 0);
                var second = new DeepSeekOptimizer(other.parameters(), lr: 0.01, weightDecay: 0.05);
                for (var i = 0; i < 3; i++)
                {
                    optimizer.zero_grad();
                    model.forward(x).sum().backward();
                    optimizer.step();
                    second.step();
                }
            }
        }
        """);

    [Fact]
    public Task DSM0003_is_silent_for_modules_deepseek_does_not_touch_and_for_api_2() => Verifier.Analyze<TrainingLoopAnalyzer>("""
        using DeepSeek.Torch.Quantization;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model, nn.Module plain)
            {
                var optimizer = optim.Adam(plain.parameters(), lr: 1e-3);
                using var quantizer = new DynamicQuantizer(model, 8);
                var sgd = optim.SGD(model.parameters(), 0.1);
            }
        }
        """);

    [Fact]
    public Task DSM0003_is_silent_when_the_project_targets_the_2x_api() => Verifier.Analyze<TrainingLoopAnalyzer>("""
        using DeepSeek.Torch.Quantization;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model)
            {
                using var quantizer = new DynamicQuantizer(model, 8);
                var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
            }
        }
        """, [new("DeepSeekApiVersion", "2.1")]);

    [Fact]
    public Task DSM0004_a_comm_backend_outside_a_scope_gets_one_with_fix_all() => Verifier.Fix<TrainingLoopAnalyzer, DistributedScopeFix>("""
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model, nn.Module other)
            {
                using var optimizer = {|DSM0004:new DeepSeekOptimizer(model.parameters(), commBackend: "gloo")|};
                optimizer.step();
            }

            void N(nn.Module model)
            {
                if (model is not null)
                {
                    var optimizer = {|DSM0004:new DeepSeekOptimizer(model.parameters(), lr: 0.1, commBackend: "nccl")|};
                    optimizer.step();
                }
            }
        }
        """, """
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;
        using DeepSeek.Torch.Distributed;

        class C
        {
            void M(nn.Module model, nn.Module other)
            {
                using var distributed = new DeepSeekDistributed("gloo");
                using var optimizer = new DeepSeekOptimizer(model.parameters(), commBackend: "gloo");
                optimizer.step();
            }

            void N(nn.Module model)
            {
                if (model is not null)
                {
                    using var distributed = new DeepSeekDistributed("nccl");
                    var optimizer = new DeepSeekOptimizer(model.parameters(), lr: 0.1, commBackend: "nccl");
                    optimizer.step();
                }
            }
        }
        """);

    [Fact]
    public Task DSM0004_is_silent_inside_a_scope_and_without_a_backend() => Verifier.Analyze<TrainingLoopAnalyzer>("""
        using DeepSeek.Torch.Distributed;
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model)
            {
                using var local = new DeepSeekOptimizer(model.parameters());
                using (var scope = new DeepSeekDistributed("gloo"))
                {
                    using var a = new DeepSeekOptimizer(model.parameters(), commBackend: "gloo");
                }

                using var dist = new DeepSeekDistributed("gloo");
                for (var i = 0; i < 2; i++)
                {
                    using var b = new DeepSeekOptimizer(model.parameters(), commBackend: "gloo");
                }
            }
        }
        """);

    [Fact]
    public Task DSM0005_nccl_while_the_profile_is_not_cuda() => Verifier.Analyze<TrainingLoopAnalyzer>("""
        using DeepSeek.Torch.Distributed;
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model)
            {
                using var dist = {|DSM0005:new DeepSeekDistributed("nccl")|};
                using var a = {|DSM0005:new DeepSeekOptimizer(model.parameters(), commBackend: "nccl")|};
                using var b = new DeepSeekOptimizer(model.parameters(), commBackend: "gloo");
            }
        }
        """, [new("DeepSeekHardwareProfile", "x64-avx2")]);

    [Fact]
    public Task DSM0005_is_silent_on_a_cuda_profile_and_when_no_profile_is_known() => Task.WhenAll(
        Verifier.Analyze<TrainingLoopAnalyzer>(NcclInScope, [new("DeepSeekHardwareProfile", "cuda")]),
        Verifier.Analyze<TrainingLoopAnalyzer>(NcclInScope));

    private const string NcclInScope = """
        using DeepSeek.Torch.Distributed;
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model)
            {
                using var dist = new DeepSeekDistributed("nccl");
                using var a = new DeepSeekOptimizer(model.parameters(), commBackend: "nccl");
            }
        }
        """;
}
