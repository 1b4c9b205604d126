using DeepSeek.Wrappers.Analyzers;
using DeepSeek.Wrappers.CodeFixes;

namespace DeepSeek.Analyzers.Tests;

/// <summary>DSW0001–DSW0003 on a wrapper shaped as the generator writes it (MNIST MLP: input [N,784], output [N,10]; a fixed-shape model).</summary>
public sealed class WrapperRuleTests
{
    private const string Wrappers = """

        namespace App.Models
        {
            [System.CodeDom.Compiler.GeneratedCode("DeepSeek.Generators", "0.1.0")]
            public sealed partial class MnistMlp : System.IDisposable
            {
                public void Run([DeepSeek.Runtime.TensorShape(-1, 784)] System.ReadOnlySpan<float> input, [DeepSeek.Runtime.TensorShape(-1, 10)] System.Span<float> logits, int n) { }
                public void Dispose() { }
            }

            [System.CodeDom.Compiler.GeneratedCode("DeepSeek.Generators", "0.1.0")]
            public sealed partial class Fixed : System.IDisposable
            {
                public void Run([DeepSeek.Runtime.TensorShape(1, 3, 4, 4)] System.ReadOnlySpan<float> image, [DeepSeek.Runtime.TensorShape(1, 5)] System.Span<float> scores) { }
                public void Dispose() { }
            }

            public sealed class NotGenerated : System.IDisposable
            {
                public void Run([DeepSeek.Runtime.TensorShape(1, 5)] System.Span<float> x) { }
                public void Dispose() { }
            }
        }
        """;

    [Fact]
    public Task DSW0001_a_wrapper_constructed_in_a_loop() => Verifier.Analyze<WrapperLifetimeAnalyzer>("""
        using App.Models;
        class C
        {
            void M(float[][] images)
            {
                foreach (var image in images)
                {
                    using var model = {|DSW0001:new MnistMlp()|};
                }

                for (var i = 0; i < 3; i++)
                {
                    using (var other = {|DSW0001:new Fixed()|}) { }
                    using var plain = new NotGenerated();
                }
            }
        }
        """ + Wrappers);

    [Fact]
    public Task DSW0001_is_silent_outside_loops_and_in_lambdas() => Verifier.Analyze<WrapperLifetimeAnalyzer>("""
        using App.Models;
        class C
        {
            System.Func<MnistMlp>[] factories = new System.Func<MnistMlp>[0];

            void M(float[][] images)
            {
                using var model = new MnistMlp();
                foreach (var image in images)
                {
                    model.Run(image, new float[10], 1);
                }

                for (var i = 0; i < 1; i++)
                {
                    factories[0] = () => new MnistMlp();
                }
            }
        }
        """ + Wrappers);

    [Fact]
    public Task DSW0002_undisposed_wrappers_get_using_with_fix_all() => Verifier.Fix<WrapperLifetimeAnalyzer, UsingDeclarationFix>("""
        using App.Models;
        class C
        {
            void M()
            {
                var model = {|DSW0002:new MnistMlp()|};
                model.Run(new float[784], new float[10], 1);
                var other = {|DSW0002:new Fixed()|};
            }
        }
        """ + Wrappers, """
        using App.Models;
        class C
        {
            void M()
            {
                using var model = new MnistMlp();
                model.Run(new float[784], new float[10], 1);
                using var other = new Fixed();
            }
        }
        """ + Wrappers);

    [Fact]
    public Task DSW0002_flags_a_wrapper_used_once_and_dropped() => Verifier.Analyze<WrapperLifetimeAnalyzer>("""
        using App.Models;
        class C
        {
            void M() => {|DSW0002:new MnistMlp()|}.Run(new float[784], new float[10], 1);
        }
        """ + Wrappers);

    [Fact]
    public Task DSW0002_is_silent_when_disposed_or_handed_on() => Verifier.Analyze<WrapperLifetimeAnalyzer>("""
        using App.Models;
        class C
        {
            MnistMlp field = new MnistMlp();

            MnistMlp Create() => new MnistMlp();

            MnistMlp Returned()
            {
                var model = new MnistMlp();
                return model;
            }

            void Disposed()
            {
                var model = new MnistMlp();
                try { } finally { model.Dispose(); }
                using (var other = new MnistMlp()) { }
                using var third = new MnistMlp();
                Keep(new MnistMlp());
                var stored = new MnistMlp();
                field = stored;
                var plain = new NotGenerated();
            }

            void Keep(MnistMlp model) { }
        }
        """ + Wrappers);

    [Fact]
    public Task DSW0003_constant_buffers_that_cannot_match_the_shape() => Verifier.Analyze<RunShapeAnalyzer>("""
        using System;
        using App.Models;
        class C
        {
            void M(MnistMlp mlp, Fixed model)
            {
                mlp.Run({|DSW0003:new float[100]|}, new float[10], 1);
                mlp.Run(new float[784 * 3], {|DSW0003:new float[25]|}, 3);
                var image = new float[47];
                Span<float> scores = stackalloc float[4];
                model.Run({|DSW0003:image|}, {|DSW0003:scores|});
                model.Run({|DSW0003:new float[] { 1, 2, 3 }|}, new float[5]);
            }
        }
        """ + Wrappers);

    [Fact]
    public Task DSW0003_is_silent_on_matching_or_unknown_lengths() => Verifier.Analyze<RunShapeAnalyzer>("""
        using System;
        using App.Models;
        class C
        {
            void M(MnistMlp mlp, Fixed model, int n, float[] anything)
            {
                mlp.Run(new float[784], new float[10], 1);
                mlp.Run(new float[784 * 64], new float[640], 64);
                mlp.Run(new float[784 * n], new float[10 * n], n);
                mlp.Run(anything, new float[10], 1);
                var image = new float[47];
                image = new float[48];
                Span<float> scores = stackalloc float[5];
                model.Run(image, scores);
                new NotGenerated().Run(new float[3]);
            }
        }
        """ + Wrappers);
}
