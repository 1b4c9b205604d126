using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Passes;
using DeepSeek.Engine.Pruning;
using DeepSeek.Engine.Tests.Passes;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Pruning;

/// <summary>The pruning passes on small built models (one pass each), checked in ONNX Runtime against the model they came from.</summary>
public sealed class PruningPassTests
{
    /// <summary>x[1,16] → MatMul w1[16,32] → Add b1 → GELU (x · 0.5 · (1 + erf(x/√2))) → MatMul w2[32,8] → Add b2 → y; units 3, 7, 11… of
    /// the hidden layer are dead (zero weights and bias) when <paramref name="dead"/>.</summary>
    private static ModelBuilder Mlp(bool dead, bool residual = false)
    {
        var w1 = ModelBuilder.Random(16 * 32, seed: 3, scale: 0.5f);
        var b1 = ModelBuilder.Random(32, seed: 4, scale: 0.1f);
        for (var u = 3; dead && u < 32; u += 4)
        {
            for (var k = 0; k < 16; k++)
            {
                w1[(k * 32) + u] = 0;
            }

            b1[u] = 0;
        }

        var builder = new ModelBuilder(8, 13).Input("x", 1, 16).Output("y", 1, 8)
            .Initializer("w1", w1, 16, 32).Initializer("b1", b1, 32)
            .Initializer("w2", ModelBuilder.Random(32 * 8, seed: 5, scale: 0.5f), 32, 8).Initializer("b2", ModelBuilder.Random(8, seed: 6, scale: 0.1f), 8)
            .Initializer("sqrt2", [1.4142135f]).Initializer("one", [1f]).Initializer("half", [0.5f])
            .Node("MatMul", ["x", "w1"], ["h0"]).Node("Add", ["h0", "b1"], ["h1"])
            .Node("Div", ["h1", "sqrt2"], ["g0"]).Node("Erf", ["g0"], ["g1"]).Node("Add", ["g1", "one"], ["g2"]).Node("Mul", ["h1", "g2"], ["g3"]).Node("Mul", ["g3", "half"], ["h2"]);
        return residual
            ? builder.Initializer("back", ModelBuilder.Random(32 * 16, seed: 7), 32, 16).Node("MatMul", ["h2", "w2"], ["y0"]).Node("Add", ["y0", "b2"], ["y"])
                .Node("Add", ["h2", "h1"], ["side"]).Output("side", 1, 32)
            : builder.Node("MatMul", ["h2", "w2"], ["y0"]).Node("Add", ["y0", "b2"], ["y"]);
    }

    [Fact]
    public void The_hidden_units_of_an_mlp_with_gelu_form_one_group_and_a_value_read_elsewhere_forms_none()
    {
        var model = new DeepSeek.Onnx.Model.OnnxModel(Mlp(dead: false).Build());
        var group = Assert.Single(UnitGroups.Find(new GraphEditor(model.Proto.Graph)));
        Assert.Equal(32, group.Units);
        Assert.Equal("ffn-units", group.Kind);
        Assert.Equal(16 + 8, group.ParametersPerUnit);
        Assert.Single(group.PerUnit); // b1 (the scalars of GELU are not per unit)
        Assert.Equal(["h2"], group.ConsumedValues);

        var residual = new DeepSeek.Onnx.Model.OnnxModel(Mlp(dead: false, residual: true).Build());
        Assert.Empty(UnitGroups.Find(new GraphEditor(residual.Proto.Graph))); // h1 and h2 also leave the graph: their 32 units must stay
    }

    [Theory]
    [InlineData(PruneMode.ChannelL1)]
    [InlineData(PruneMode.ChannelL2)]
    public void Removing_the_dead_units_shrinks_both_matrices_and_changes_no_output(PruneMode mode)
    {
        using var temp = new TempDirectory();
        var (source, working) = PassHarness.Load(Mlp(dead: true), temp);
        var editor = new GraphEditor(working.Proto.Graph);
        var group = Assert.Single(UnitGroups.Find(editor));
        var scores = ChannelPruner.Scores(working, editor, group, mode, null);
        Assert.Equal(8, scores.Count(s => s == 0));
        var keep = ChannelPruner.Keep(scores, 8);
        Assert.DoesNotContain(3, keep);
        ChannelPruner.Apply(working, editor, group, keep, moments: null);
        _ = editor.RemoveUnusedInitializers();

        Assert.Equal([16L, 24L], editor.ConstantTensor(working.Proto.Graph.Node.Single(n => n.Input[0] == "x").Input[1])!.Dims);
        Assert.Equal([24L, 8L], editor.ConstantTensor(working.Proto.Graph.Node.Single(n => n.Input[0] == "h2").Input[1])!.Dims);
        var (expected, actual) = PassHarness.RunBoth(source, working, temp, "x", ModelBuilder.Random(16, seed: 9), [1, 16]);
        Assert.True(PassHarness.MaxRelativeError(expected, actual) < 1e-6, $"{PassHarness.MaxRelativeError(expected, actual)}");
    }

    [Fact]
    public void Removing_live_units_changes_the_output_so_the_refit_has_something_to_recover()
    {
        using var temp = new TempDirectory();
        var (source, working) = PassHarness.Load(Mlp(dead: false), temp);
        var editor = new GraphEditor(working.Proto.Graph);
        var group = Assert.Single(UnitGroups.Find(editor));
        ChannelPruner.Apply(working, editor, group, ChannelPruner.Keep(ChannelPruner.Scores(working, editor, group, PruneMode.ChannelL1, null), 8), moments: null);
        var (expected, actual) = PassHarness.RunBoth(source, working, temp, "x", ModelBuilder.Random(16, seed: 9), [1, 16]);
        Assert.True(PassHarness.MaxRelativeError(expected, actual) > 1e-3);
    }

    [Fact]
    public void Shares_go_to_layers_by_their_work_over_their_sensitivity_and_add_up_to_the_target()
    {
        double[] weights = [100, 100, 200, 50, 100];
        double[] cost = [100, 100, 200, 50, 400]; // the last layer's weights are applied at 4 positions
        double[] loss = [0.01, 0.04, 0.01, 0.00001, 0.04];
        var shares = PruningStage.Allocate(weights, cost, loss, 0.2);

        Assert.Equal(0.2, weights.Zip(shares, (w, s) => w * s).Sum() / weights.Sum(), 9);
        Assert.InRange(shares[0] / shares[1], 3.9, 4.0); // a quarter of the loss: four times the share (less the loss floor's pull)
        Assert.Equal(2, shares[2] / shares[0], 6); // twice the work at the same loss: twice the share
        Assert.Equal(4, shares[4] / shares[1], 6);
        Assert.Equal(PruningStage.MaxLayerShare, shares[3], 9); // nearly free: capped
    }

    [Fact]
    public void Measured_units_are_ranked_by_what_they_add_to_the_next_layer_not_by_their_input_weights()
    {
        using var temp = new TempDirectory();
        // Units 5 and 9 get the largest input weights and no outgoing row: their weights' norm ranks them first, what they add
        // to y is nothing.
        var builder = Mlp(dead: false);
        var model = new DeepSeek.Onnx.Model.OnnxModel(builder.Build());
        var w1 = model.Proto.Graph.Initializer.Single(t => t.Name == "w1");
        var w2 = model.Proto.Graph.Initializer.Single(t => t.Name == "w2");
        var input = Tensors.ReadFloats(w1, model);
        var output = Tensors.ReadFloats(w2, model);
        foreach (var u in new[] { 5, 9 })
        {
            for (var k = 0; k < 16; k++)
            {
                input[(k * 32) + u] = 3;
            }

            Array.Clear(output, u * 8, 8);
        }

        w1.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan()));
        w2.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(output.AsSpan()));
        var editor = new GraphEditor(model.Proto.Graph);
        var group = Assert.Single(UnitGroups.Find(editor));
        var samples = Enumerable.Range(0, 8).Select(s => (IReadOnlyDictionary<string, DeepSeek.Engine.Data.TensorValue>)new Dictionary<string, DeepSeek.Engine.Data.TensorValue>
        {
            ["x"] = DeepSeek.Engine.Data.TensorValue.Create(ModelBuilder.Random(16, seed: 20 + s), 1, 16),
        }).ToList();
        var moments = UnitStatistics.Collect(model, [group], samples, null, CancellationToken.None);

        var byWeights = ChannelPruner.Scores(model, editor, group, PruneMode.ChannelL2, null);
        var byContribution = ChannelPruner.Scores(model, editor, group, PruneMode.ChannelL2, moments);
        Assert.Equal([5, 9], Enumerable.Range(0, 32).OrderByDescending(u => byWeights[u]).Take(2).Order());
        Assert.Equal([5, 9], Enumerable.Range(0, 32).OrderBy(u => byContribution[u]).Take(2).Order());
        Assert.All(new[] { 5, 9 }, u => Assert.Equal(0, byContribution[u]));
        Assert.All(Enumerable.Range(0, 32).Except([5, 9]), u => Assert.True(byContribution[u] > 0, $"unit {u}"));
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(2, 4)]
    public void Magnitude_pruning_to_an_n_m_pattern_keeps_n_of_every_m_along_each_column_and_is_detected(int n, int m)
    {
        var model = new DeepSeek.Onnx.Model.OnnxModel(Mlp(dead: false).Build());
        var editor = new GraphEditor(model.Proto.Graph);
        var layers = MagnitudePruning.Apply(model, editor, 0, new NmPattern(n, m), default);
        Assert.Equal(2, layers.Count);
        foreach (var target in MagnitudePruning.Targets(editor))
        {
            var data = Tensors.ReadFloats(target.Tensor, model);
            Assert.True(target.Strided); // MatMul [K, N]: groups run down each column
            for (var column = 0; column < target.Rows; column++)
            {
                for (var start = 0; start < target.Length; start += m)
                {
                    Assert.Equal(n, Enumerable.Range(start, m).Count(j => data[target.Index(column, j)] != 0));
                }
            }

            Assert.Equal(new NmPattern(n, m), MagnitudePruning.Detect(data, target));
        }

        Assert.All(layers, l => Assert.Equal(l.Before * n / m, l.After));
    }

    [Fact]
    public void Sparse_storage_rebuilds_the_same_weights_in_onnx_runtime_from_a_fraction_of_the_bytes()
    {
        using var temp = new TempDirectory();
        var builder = Mlp(dead: false);
        var built = new DeepSeek.Onnx.Model.OnnxModel(builder.Build());
        var editor = new GraphEditor(built.Proto.Graph);
        _ = MagnitudePruning.Apply(built, editor, 0, new NmPattern(1, 16), default);
        _ = editor.RemoveUnusedInitializers();
        var sourcePath = temp.File("sparse.onnx");
        built.Save(sourcePath);
        var working = DeepSeek.Onnx.IO.ModelReader.Read(sourcePath);
        var result = new SparseStoragePass().Run(new PassContext(working));
        Assert.Equal(1, result.Counters["tensors"]); // w1 (2 kB) — w2's 1 kB is under SparseStoragePass.MinBytes
        Assert.True(result.Counters["compactBytes"] <= result.Counters["denseBytes"] * 5 / 16 / 4 + 16, $"{result.Counters["compactBytes"]} of {result.Counters["denseBytes"]}");
        Assert.Contains(working.Proto.Graph.Node, n => n.OpType == "ScatterElements");
        var (expected, actual) = PassHarness.RunBoth(sourcePath, working, temp, "x", ModelBuilder.Random(16, seed: 11), [1, 16]);
        Assert.Equal(expected, actual); // the same weights: the same floats
    }

    [Fact]
    public void Long_runs_of_zeros_are_bridged_by_zero_valued_fillers()
    {
        var dense = new byte[2000];
        dense[0] = 5;
        dense[700] = 7;
        dense[1999] = 9;
        var (values, gaps) = SparseStoragePass.Compact(dense, 1);
        long position = 0;
        var rebuilt = new byte[dense.Length];
        for (var i = 0; i < gaps.Length; i++)
        {
            position += gaps[i];
            rebuilt[position] = values[i];
        }

        Assert.Equal(dense, rebuilt);
        Assert.All(gaps.Skip(1), g => Assert.InRange(g, (byte)1, (byte)255));
        Assert.True(values.Length < 20, $"{values.Length} entries");
    }

    [Theory]
    [InlineData("0.3", null, null, PruneMode.ChannelL1, 0.3)]
    [InlineData("30%", "channel-l2", null, PruneMode.ChannelL2, 0.3)]
    [InlineData("0.5", "magnitude", null, PruneMode.Magnitude, 0.5)]
    [InlineData(null, null, "2:4", PruneMode.Magnitude, 0)]
    public void Prune_options_parse(string? fraction, string? mode, string? sparsity, PruneMode expected, double share)
    {
        var settings = PruneSettings.Parse(fraction, mode, sparsity)!;
        Assert.Equal(expected, settings.Mode);
        Assert.Equal(share, settings.Fraction, 9);
        Assert.Equal(sparsity, settings.Pattern?.ToString());
        Assert.Null(PruneSettings.Parse(null, null, null));
    }

    [Theory]
    [InlineData("1.2", null, null, "--prune")]
    [InlineData("x", null, null, "--prune")]
    [InlineData("0.3", "channel-l3", null, "--prune-mode")]
    [InlineData(null, "channel-l1", "2:4", "--sparsity")]
    [InlineData(null, null, "4:4", "--sparsity")]
    [InlineData("0.3", null, "1:16", "--prune")]
    [InlineData(null, "magnitude", null, "--prune-mode")]
    public void Bad_prune_options_are_DSB0065_naming_the_option(string? fraction, string? mode, string? sparsity, string option)
    {
        var e = Assert.Throws<DeepSeekException>(() => PruneSettings.Parse(fraction, mode, sparsity));
        Assert.Equal(DiagnosticIds.InvalidOption.Id, e.Id);
        Assert.Equal(option, e.File);
    }
}
