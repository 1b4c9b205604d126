using DeepSeek.Torch.Mixed;
using DeepSeek.Torch.Optim;
using DeepSeek.Torch.Quantization;
using DeepSeek.Torch.Tests.Training;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Lifetime;

/// <summary>
/// DeepSeek.Torch keeps every native object it hands to libtorch alive until the call returns: the same training, run
/// once quietly and once while collections and finalizers run back to back, gives bit-identical weights. Before this was
/// so, a temporary <c>Scalar</c> (an implicit conversion such as <c>t.mul_(0.9)</c>) could be finalized during the call
/// that read it: the optimizer then multiplied by freed memory, and training went to NaN on some machines (issue 11).
/// </summary>
public sealed class LifetimeTests(ITestOutputHelper output)
{
    [Fact]
    public void Optimizer_steps_give_the_same_weights_under_finalizer_stress()
    {
        var start = Start(seed: 11, batch: 16);
        var quiet = Train(start, stress: false, sparse: false);
        var stressed = Train(start, stress: true, sparse: false);
        Assert.All(quiet, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(quiet, stressed);
    }

    [Fact]
    public void Sparse_and_accumulated_steps_give_the_same_weights_under_finalizer_stress()
    {
        var start = Start(seed: 11, batch: 16);
        var quiet = Train(start, stress: false, sparse: true);
        var stressed = Train(start, stress: true, sparse: true);
        Assert.Equal(quiet, stressed);
    }

    [Fact]
    public void Bfloat16_autocast_and_fake_quantization_compute_the_same_under_finalizer_stress()
    {
        var start = Start(seed: 12, batch: 8);
        var quiet = Infer(start, stress: false);
        var stressed = Infer(start, stress: true);
        Assert.Equal(quiet, stressed);
    }

    /// <summary>
    /// Initial weights and data, made once and shared by the quiet and the stressed run, so that the runs differ in
    /// nothing but the collections.
    /// </summary>
    private static Start Start(int seed, int batch)
    {
        manual_seed(seed);
        var model = Models.Cnn(batchNorm: false);
        var weights = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        return new Start(weights, randn(batch, 1, 28, 28), randint(0, 10, batch));
    }

    private static Sequential Model(Start start)
    {
        var model = Models.Cnn(batchNorm: false);
        model.load_state_dict(start.Weights);
        return model;
    }

    private float[] Train(Start start, bool stress, bool sparse)
    {
        var model = Model(start);
        using var optimizer = new DeepSeekOptimizer(model.parameters(), lr: 3e-3, sparseGrad: sparse, gradientDensity: 0.1);
        var accumulation = optimizer.GradientAccumulation(sparse ? 2 : 1);
        using (var gc = stress ? new FinalizerStress() : null)
        {
            for (var step = 0; step < 40; step++)
            {
                using var scope = NewDisposeScope();
                nn.functional.cross_entropy(model.forward(start.Input), start.Target).backward();
                accumulation.Step();
            }

            if (gc is not null)
            {
                output.WriteLine($"{gc.Collections} collections during 40 steps");
                Assert.True(gc.Collections > 40, $"only {gc.Collections} collections: the stress did not run");
            }
        }

        return model.parameters().SelectMany(Models.Values).ToArray();
    }

    private static float[] Infer(Start start, bool stress)
    {
        var model = Model(start);
        model.eval();
        var amp = new Amp(model, ScalarType.BFloat16);
        var results = new List<float>();
        using (stress ? new FinalizerStress() : null)
        {
            for (var i = 0; i < 40; i++)
            {
                using var scope = NewDisposeScope();
                using (amp.Autocast())
                {
                    results.AddRange(Models.Values(model.forward(start.Input)));
                }

                var conv1 = (Conv2d)model.named_children().First().module;
                results.AddRange(Models.Values(FakeQuantization.Quantize(conv1.weight!, bits: 4)));
            }
        }

        return [.. results];
    }
}

/// <summary>Initial weights, inputs and labels of a <see cref="LifetimeTests"/> case.</summary>
internal sealed record Start(Dictionary<string, Tensor> Weights, Tensor Input, Tensor Target);
