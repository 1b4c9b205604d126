#pragma warning disable DSM0001, DSM0007, DSM0008, DSM0009, DSM0010 // the tests call the obsolete 1.x and 2.x APIs on purpose
using System.Reflection;
using DeepSeek.Torch.Distillation;
using DeepSeek.Torch.Distributed;
using DeepSeek.Torch.Quantization;
using DeepSeek.Torch.V1;
using DeepSeek.Torch.V2;
using DeepSeek.Testing;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests.Training;

/// <summary>The 1.x and 2.x surfaces work, as thin shims over 3.x, and each says so with its DSM id.</summary>
public sealed class LegacyApiTests
{
    [Theory]
    [InlineData(typeof(Int8Quantizer), "DSM0001")]
    [InlineData(typeof(DistributedLauncher), "DSM0007")]
    [InlineData(typeof(ChannelPruner), "DSM0008")]
    [InlineData(typeof(DistillationLoss), "DSM0009")]
    [InlineData(typeof(Trainer), "DSM0010")]
    public void Each_older_api_is_obsolete_with_its_migration_id_and_help_link(Type type, string id)
    {
        var obsolete = type.GetCustomAttribute<ObsoleteAttribute>();
        Assert.NotNull(obsolete);
        Assert.Equal(id, obsolete!.DiagnosticId);
        Assert.False(obsolete.IsError);
        Assert.EndsWith("docs/diagnostics.md#{0}", obsolete.UrlFormat, StringComparison.Ordinal);
        var entry = File.ReadAllText(Path.Combine(TestAssets.RepositoryRoot, "docs", "diagnostics.md"));
        Assert.Contains($"## {id}", entry, StringComparison.Ordinal);
    }

    [Fact]
    public void Int8Quantizer_quantizes_per_tensor_like_dynamic_quantizer_does_per_tensor()
    {
        manual_seed(30);
        var legacy = Models.Mlp();
        var current = Models.Mlp();
        current.load_state_dict(legacy.state_dict());
        new Int8Quantizer(legacy).Quantize();
        using (var quantizer = new DynamicQuantizer(current, 8, perChannel: false))
        {
            quantizer.Freeze();
        }

        foreach (var ((_, a), (_, b)) in legacy.named_parameters().Zip(current.named_parameters()))
        {
            Assert.Equal(0f, Models.MaxAbsDifference(a, b));
        }
    }

    [Fact]
    public void ChannelPruner_removes_channels_like_structured_pruner_l1()
    {
        manual_seed(31);
        var model = Models.Cnn();
        var removed = new ChannelPruner(model, 0.25).Prune();
        Assert.Equal(2 + 3 + 8, removed);
        Assert.Equal([8L, 10], model.forward(randn(8, 1, 28, 28)).shape);
    }

    [Fact]
    public void DistillationLoss_is_the_distillers_loss()
    {
        manual_seed(32);
        var (student, teacher, labels) = (randn(5, 10), randn(5, 10), randint(0, 10, [5]));
        using var identity = nn.Identity();
        var expected = new Distiller(identity, identity, 3, 0.4).Loss(student, teacher, labels).item<float>();
        Assert.Equal(expected, DistillationLoss.Compute(student, teacher, labels, 3, 0.4).item<float>(), 6);
    }

    [Fact]
    public void The_2x_trainer_trains_on_adam_and_the_launcher_runs_rank_0_in_a_scope()
    {
        manual_seed(33);
        var model = Models.Mlp();
        var trainer = new Trainer(model, optim.Adam(model.parameters(), lr: 1e-2), (y, t) => nn.functional.mse_loss(y, t));
        var batches = Enumerable.Range(0, 4).Select(_ => (randn(8, 16), randn(8, 4))).ToList();
        var first = trainer.TrainEpoch(batches);
        double last = first;
        for (var epoch = 0; epoch < 20; epoch++)
        {
            last = trainer.TrainEpoch(batches);
        }

        Assert.True(last < first, $"{first} → {last}");

        var ranks = new List<(int Rank, string? Backend)>();
        DistributedLauncher.Launch(1, "gloo", rank => ranks.Add((rank, DeepSeekDistributed.Current?.Backend)));
        Assert.Equal([(0, "gloo")], ranks);
        Assert.Throws<NotSupportedException>(() => DistributedLauncher.Launch(4, "gloo", _ => { }));
    }
}
