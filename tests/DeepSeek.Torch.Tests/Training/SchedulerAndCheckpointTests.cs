using DeepSeek.Torch.Optim;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

/// <summary>
/// DeepSeekOptimizer as a TorchSharp optimizer (issue 16): the <c>zero_grad()</c>/<c>backward()</c>/<c>step()</c> loop,
/// a <c>torch.optim.lr_scheduler.StepLR</c> driving it, parameter groups, and checkpoints that resume bit for bit.
/// </summary>
public sealed class SchedulerAndCheckpointTests(ITestOutputHelper output)
{
    /// <summary>
    /// Iris-shaped data, generated: 4 features, 3 classes, drawn around the per-class means and standard deviations of
    /// Fisher's iris measurements (sepal length/width, petal length/width, cm). Not the real data set.
    /// </summary>
    private static readonly float[][] ClassMeans = [[5.01f, 3.43f, 1.46f, 0.25f], [5.94f, 2.77f, 4.26f, 1.33f], [6.59f, 2.97f, 5.55f, 2.03f]];
    private static readonly float[][] ClassStds = [[0.35f, 0.38f, 0.17f, 0.11f], [0.52f, 0.31f, 0.47f, 0.20f], [0.64f, 0.32f, 0.55f, 0.27f]];

    [Fact]
    public void An_iris_style_mlp_trains_on_zero_grad_backward_step_with_a_StepLR_schedule()
    {
        manual_seed(16);
        var (trainX, trainY) = Iris(perClass: 50);
        var (testX, testY) = Iris(perClass: 30);
        var model = nn.Sequential(("fc1", nn.Linear(4, 16)), ("relu", nn.ReLU()), ("fc2", nn.Linear(16, 3)));
        const double Lr0 = 0.05, Gamma = 0.5;
        const int StepSize = 10, Epochs = 40;
        using var opt = new DeepSeekOptimizer(model.named_parameters(), lr: Lr0, weightDecay: 1e-4);
        var scheduler = optim.lr_scheduler.StepLR(opt, step_size: StepSize, gamma: Gamma);

        var initialLoss = Loss(model, trainX, trainY);
        var rates = new List<double>();
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            rates.Add(opt.ParamGroups.Single().LearningRate);
            using var permutation = randperm(trainX.shape[0]);
            for (var start = 0; start < trainX.shape[0]; start += 30)
            {
                using var scope = NewDisposeScope();
                var batch = permutation[start..(start + 30)];
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(model.forward(trainX.index_select(0, batch)), trainY.index_select(0, batch));
                loss.backward();
                opt.step();
            }

            scheduler.step();
        }

        var finalLoss = Loss(model, trainX, trainY);
        var accuracy = Accuracy(model, testX, testY);
        output.WriteLine($"loss {initialLoss:F4} -> {finalLoss:F4}; held-out accuracy {accuracy:P1}; lr by epoch: {string.Join(", ", rates.Where((_, i) => i % StepSize == 0).Select(r => r.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}; steps {opt.StepCount}");

        // The scheduler set the rate, and the optimizer trained with it: lr after k epochs = lr0 · gamma^(k / step).
        for (var k = 0; k < Epochs; k++)
        {
            Assert.Equal(Lr0 * Math.Pow(Gamma, k / StepSize), rates[k], 12);
        }

        Assert.Equal(Lr0 * Math.Pow(Gamma, Epochs / StepSize), opt.LearningRate, 12);
        Assert.Equal(opt.LearningRate, scheduler.get_last_lr().Single());
        Assert.Equal(Epochs * 5, opt.StepCount);
        Assert.True(finalLoss < initialLoss / 5, $"the loss fell from {initialLoss} to {finalLoss} only");
        Assert.True(accuracy >= 0.9, $"held-out accuracy {accuracy}");
    }

    [Fact]
    public void Each_step_reads_the_learning_rate_the_scheduler_set()
    {
        manual_seed(17);
        var model = Models.Mlp();
        using var opt = new DeepSeekOptimizer(model.parameters(), lr: 1e-2);
        var scheduler = optim.lr_scheduler.StepLR(opt, step_size: 1, gamma: 0);
        Backward(model);
        opt.step();
        var afterFirst = model.parameters().Select(Models.Values).ToList();

        scheduler.step(); // lr 1e-2 → 0: the next step must not move anything (weight decay is lr · weightDecay too)
        Assert.Equal(0.0, opt.LearningRate);
        opt.zero_grad();
        Backward(model);
        opt.step();
        Assert.Equal(afterFirst, model.parameters().Select(Models.Values).ToList());
    }

    [Fact]
    public void Parameter_groups_take_their_own_options_and_the_defaults_for_the_rest()
    {
        manual_seed(18);
        var model = Models.Mlp();
        var (fc1, fc2) = (model.named_children().First().module, model.named_children().Last().module);
        using var opt = new DeepSeekOptimizer(
            [new DeepSeekOptimizer.ParamGroup(fc1.parameters(), lr: 0), new DeepSeekOptimizer.ParamGroup(fc2.parameters(), beta1: 0.5)],
            lr: 1e-2,
            weightDecay: 0);
        var groups = opt.ParamGroups.Cast<DeepSeekOptimizer.ParamGroup>().ToList();
        Assert.Equal([0, 1e-2], groups.Select(g => g.LearningRate));
        Assert.Equal([(0.9, 0.999), (0.5, 0.999)], groups.Select(g => g.Betas));
        Assert.Equal(4, opt.parameters().Count());

        var frozen = fc1.parameters().Select(Models.Values).ToList();
        var moving = fc2.parameters().Select(Models.Values).ToList();
        Backward(model);
        opt.step();
        Assert.Equal(frozen, fc1.parameters().Select(Models.Values).ToList());
        Assert.NotEqual(moving, fc2.parameters().Select(Models.Values).ToList());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_checkpoint_saved_and_loaded_into_a_fresh_optimizer_continues_bit_for_bit(bool sparseGrad)
    {
        manual_seed(19);
        var batches = Enumerable.Range(0, 20).Select(_ => (randn(8, 16), randn(8, 4))).ToList();
        var uninterrupted = Models.Mlp();
        var resumed = Models.Mlp();
        using var a = new DeepSeekOptimizer(uninterrupted.named_parameters(), lr: 1e-2, sparseGrad: sparseGrad, gradientDensity: 0.2);
        var scheduler = optim.lr_scheduler.StepLR(a, step_size: 3, gamma: 0.5);
        foreach (var (x, y) in batches.Take(10))
        {
            TrainStep(uninterrupted, a, x, y);
            scheduler.step();
        }

        var path = Path.Combine(Path.GetTempPath(), $"deepseek-optimizer-{Guid.NewGuid():N}.bin");
        try
        {
            a.save_state_dict(path);
            resumed.load_state_dict(uninterrupted.state_dict());
            using var b = new DeepSeekOptimizer(resumed.named_parameters(), lr: 1, sparseGrad: sparseGrad, gradientDensity: 0.2);
            b.load_state_dict(path);
            output.WriteLine($"checkpoint {new FileInfo(path).Length} bytes; lr {b.LearningRate} (initial {b.ParamGroups.Single().InitialLearningRate}), step {b.StepCount}");
            Assert.Equal(a.LearningRate, b.LearningRate); // 1e-2 · 0.5³, from the file, not the constructor's 1
            Assert.Equal(10, b.StepCount);

            foreach (var (x, y) in batches.Skip(10))
            {
                TrainStep(uninterrupted, a, x, y);
                TrainStep(resumed, b, x, y);
            }

            foreach (var ((name, p), (_, q)) in uninterrupted.named_parameters().Zip(resumed.named_parameters()))
            {
                Assert.True(Models.Values(p).SequenceEqual(Models.Values(q)), $"{name} differs by {Models.MaxAbsDifference(p, q)}");
            }

            // the in-memory state dictionary too
            using var c = new DeepSeekOptimizer(Models.Mlp().named_parameters(), sparseGrad: sparseGrad);
            c.load_state_dict(a.state_dict());
            Assert.Equal(20, c.StepCount);
            Assert.True(a.state_dict().State.Zip(c.state_dict().State).All(s => s.First.ApproximatelyEquals(s.Second)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_3_0_names_are_aliases_of_step_and_zero_grad()
    {
        manual_seed(20);
        var ours = Models.Mlp();
        var theirs = Models.Mlp();
        theirs.load_state_dict(ours.state_dict());
        using var old = new DeepSeekOptimizer(ours.parameters());
        using var current = new DeepSeekOptimizer(theirs.parameters());
        for (var i = 0; i < 3; i++)
        {
            using var x = randn(4, 16);
#pragma warning disable DSM0011 // the obsolete names, on purpose
            old.ZeroGrad();
            ours.forward(x).sum().backward();
            old.Step();
#pragma warning restore DSM0011
            current.zero_grad();
            theirs.forward(x).sum().backward();
            current.step();
        }

        Assert.Equal(ours.parameters().Select(Models.Values), theirs.parameters().Select(Models.Values));
        foreach (var name in new[] { "Step", "ZeroGrad" })
        {
            var obsolete = typeof(DeepSeekOptimizer).GetMethod(name, Type.EmptyTypes)!.GetCustomAttributes(typeof(ObsoleteAttribute), false).Cast<ObsoleteAttribute>().Single();
            Assert.Equal("DSM0011", obsolete.DiagnosticId);
            Assert.EndsWith("docs/diagnostics.md#{0}", obsolete.UrlFormat, StringComparison.Ordinal);
        }
    }

    private static void TrainStep(Sequential model, DeepSeekOptimizer optimizer, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.mse_loss(model.forward(x), y).backward();
        optimizer.step();
    }

    private static void Backward(Sequential model)
    {
        using var scope = NewDisposeScope();
        nn.functional.mse_loss(model.forward(ones(4, 16)), zeros(4, 4)).backward();
    }

    private static (Tensor X, Tensor Y) Iris(int perClass)
    {
        var x = new List<Tensor>();
        var y = new List<Tensor>();
        for (var c = 0; c < 3; c++)
        {
            x.Add(randn(perClass, 4) * tensor(ClassStds[c]) + tensor(ClassMeans[c]));
            y.Add(full(perClass, c, dtype: ScalarType.Int64));
        }

        return (cat(x, 0), cat(y, 0));
    }

    private static double Loss(Sequential model, Tensor x, Tensor y)
    {
        using var _ = no_grad();
        return nn.functional.cross_entropy(model.forward(x), y).item<float>();
    }

    private static double Accuracy(Sequential model, Tensor x, Tensor y)
    {
        using var _ = no_grad();
        return model.forward(x).argmax(1).eq(y).to(ScalarType.Float32).mean().item<float>();
    }
}
