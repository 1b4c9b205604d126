using DeepSeek.Migration.Analyzers;
using DeepSeek.Migration.CodeFixes;

namespace DeepSeek.Analyzers.Tests;

/// <summary>DSM0001, DSM0007–DSM0011: the 1.x, 2.x and 3.0 APIs, with the code the fixes write.</summary>
public sealed class ObsoleteApiRuleTests
{
    // Fix All meets each use twice in the test framework: the analyzer's diagnostic and the compiler's [Obsolete] one (same
    // id, same fix; a build suppresses the latter, the test framework does not run suppressors on compiler diagnostics).
    // The migration fixes' Fix All (FixAll.For) takes both in one iteration: the second's edit is the first's, taken once.
    private const int FixAllIterations = 1;

    [Fact]
    public Task DSM0001_int8_quantizer_becomes_dynamic_quantizer_with_fix_all() => Verifier.Fix<ObsoleteApiAnalyzer, ReplaceCompressorFix>("""
        using DeepSeek.Torch.V1;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model, nn.Module other)
            {
                {|DSM0001:new {|#0:Int8Quantizer|}(model)|}.Quantize();
                var quantizer = {|DSM0001:new {|#1:Int8Quantizer|}(other, perChannel: true)|};
                quantizer.Quantize();
            }
        }
        """, """
        using DeepSeek.Torch.V1;
        using static TorchSharp.torch;
        using DeepSeek.Torch.Quantization;

        class C
        {
            void M(nn.Module model, nn.Module other)
            {
                new DynamicQuantizer(model, bits: 8).Freeze();
                var quantizer = new DynamicQuantizer(other, bits: 8);
                quantizer.Freeze();
            }
        }
        """, FixAllIterations, Verifier.CompilerObsolete("DSM0001", 0), Verifier.CompilerObsolete("DSM0001", 1));

    [Fact]
    public Task DSM0008_channel_pruner_becomes_structured_pruner_with_fix_all() => Verifier.Fix<ObsoleteApiAnalyzer, ReplaceCompressorFix>("""
        using DeepSeek.Torch.V1;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module a, nn.Module b)
            {
                {|DSM0008:new {|#0:ChannelPruner|}(a, 0.3)|}.Prune();
                {|DSM0008:new {|#1:ChannelPruner|}(b, ratio: 0.5)|}.Prune();
            }
        }
        """, """
        using DeepSeek.Torch.V1;
        using static TorchSharp.torch;
        using DeepSeek.Torch.Pruning;

        class C
        {
            void M(nn.Module a, nn.Module b)
            {
                new StructuredPruner(a, 0.3, ChannelNorm.L1).Prune();
                new StructuredPruner(b, 0.5, ChannelNorm.L1).Prune();
            }
        }
        """, FixAllIterations, Verifier.CompilerObsolete("DSM0008", 0), Verifier.CompilerObsolete("DSM0008", 1));

    [Fact]
    public Task DSM0007_launcher_becomes_a_distributed_scope_with_fix_all() => Verifier.Fix<ObsoleteApiAnalyzer, LauncherFix>("""
        using DeepSeek.Torch.V2;

        class C
        {
            void Train(int rank) { }

            void M()
            {
                {|DSM0007:{|#0:DistributedLauncher|}.Launch(1, "gloo", rank => Train(rank))|};
                {|DSM0007:{|#1:DistributedLauncher|}.Launch(1, "gloo", Train)|};
            }
        }
        """, """
        using DeepSeek.Torch.V2;
        using DeepSeek.Torch.Distributed;

        class C
        {
            void Train(int rank) { }

            void M()
            {
                using (var distributed = new DeepSeekDistributed("gloo"))
                {
                    var rank = distributed.Rank;
                    Train(rank);
                }
                using (var distributed = new DeepSeekDistributed("gloo"))
                {
                    Train(distributed.Rank);
                }
            }
        }
        """, FixAllIterations, Verifier.CompilerObsolete("DSM0007", 0), Verifier.CompilerObsolete("DSM0007", 1));

    [Fact]
    public Task DSM0011_step_and_zero_grad_become_the_torch_optim_names_with_fix_all() => Verifier.Fix<ObsoleteApiAnalyzer, OptimizerAliasFix>("""
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module<Tensor, Tensor> model, Tensor x)
            {
                using var optimizer = new DeepSeekOptimizer(model.parameters());
                for (var i = 0; i < 3; i++)
                {
                    {|DSM0011:{|#0:optimizer.ZeroGrad()|}|};
                    model.forward(x).sum().backward();
                    {|DSM0011:{|#1:optimizer.Step()|}|};
                }
            }
        }
        """, """
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module<Tensor, Tensor> model, Tensor x)
            {
                using var optimizer = new DeepSeekOptimizer(model.parameters());
                for (var i = 0; i < 3; i++)
                {
                    optimizer.zero_grad();
                    model.forward(x).sum().backward();
                    optimizer.step();
                }
            }
        }
        """, FixAllIterations, Verifier.CompilerObsolete("DSM0011", 0), Verifier.CompilerObsolete("DSM0011", 1));

    [Fact]
    public Task DSM0011_reports_a_method_group_and_is_silent_for_the_new_names_and_other_steps() => Verifier.Analyze<ObsoleteApiAnalyzer>("""
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module<Tensor, Tensor> model, Tensor x)
            {
                using var optimizer = new DeepSeekOptimizer(model.parameters());
                optimizer.zero_grad();
                model.forward(x).sum().backward();
                optimizer.step();
                optimizer.GradientAccumulation(2).Step();
                System.Action later = {|DSM0011:optimizer.Step|};
            }
        }
        """);

    [Fact]
    public Task DSM0009_and_DSM0010_flag_the_old_distillation_and_trainer() => Verifier.Analyze<ObsoleteApiAnalyzer>("""
        using DeepSeek.Torch.V1;
        using DeepSeek.Torch.V2;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module<Tensor, Tensor> model, Tensor s, Tensor t, Tensor y)
            {
                var loss = {|DSM0009:DistillationLoss.Compute(s, t, y)|};
                var trainer = {|DSM0010:new Trainer(model, optim.SGD(model.parameters(), 0.1), (a, b) => a)|};
            }
        }
        """);

    [Fact]
    public Task The_3x_replacements_of_the_launcher_the_loss_and_the_trainer_are_silent() => Verifier.Analyze<ObsoleteApiAnalyzer>("""
        using DeepSeek.Torch.Distillation;
        using DeepSeek.Torch.Distributed;
        using DeepSeek.Torch.Optim;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module<Tensor, Tensor> teacher, nn.Module<Tensor, Tensor> student, Tensor x, Tensor y)
            {
                using (var distributed = new DeepSeekDistributed("gloo"))
                {
                    using var optimizer = new DeepSeekOptimizer(student.parameters(), commBackend: "gloo");
                    new Distiller(teacher, student, 4, 0.5).Step(x, y, optimizer);
                }

                var loss = new Distiller(teacher, student).Loss(student.forward(x), teacher.forward(x), y);
            }
        }
        """);

    [Fact]
    public Task The_2x_launcher_and_trainer_are_silent_for_a_project_on_the_2x_api() => Verifier.Analyze<ObsoleteApiAnalyzer>("""
        using DeepSeek.Torch.V2;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module<Tensor, Tensor> model)
            {
                DistributedLauncher.Launch(1, "gloo", rank => { });
                var trainer = new Trainer(model, optim.SGD(model.parameters(), 0.1), (a, b) => a);
            }
        }
        """, [new("DeepSeekApiVersion", "2.0")]);

    [Fact]
    public Task The_3x_api_and_an_older_target_version_are_silent() => Verifier.Analyze<ObsoleteApiAnalyzer>("""
        using DeepSeek.Torch.Quantization;
        using DeepSeek.Torch.Pruning;
        using DeepSeek.Torch.V1;
        using static TorchSharp.torch;

        class C
        {
            void M(nn.Module model)
            {
                new DynamicQuantizer(model, 8).Freeze();
                new StructuredPruner(model, 0.3).Prune();
                new Int8Quantizer(model).Quantize();    // DeepSeekApiVersion=1.0: still on the 1.x API
            }
        }
        """, [new("DeepSeekApiVersion", "1.0")]);
}
