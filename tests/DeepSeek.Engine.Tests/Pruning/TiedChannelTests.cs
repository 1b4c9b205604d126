using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Pruning;
using DeepSeek.Engine.Tests.Passes;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Pruning;

/// <summary>Channels several Convs must keep equal (a residual addition, a depthwise convolution), on small built models checked
/// in ONNX Runtime against the model they came from.</summary>
public sealed class TiedChannelTests
{
    private static readonly int[] Dead = [1, 5];

    /// <summary>x[1,4,8,8] → Conv a (3×3) → Relu, plus Conv b (1×1) of x, added → MaxPool → Conv c (3×3, 6 channels) → y. When
    /// <paramref name="dead"/>, channels 1 and 5 of a and b are zero (weights and bias).</summary>
    private static ModelBuilder Residual(bool dead, bool skipFromInput = false)
    {
        var wa = ModelBuilder.Random(8 * 4 * 9, seed: 11, scale: 0.5f);
        var ba = ModelBuilder.Random(8, seed: 12, scale: 0.1f);
        var wb = ModelBuilder.Random(8 * 4, seed: 13, scale: 0.5f);
        foreach (var u in dead ? Dead : [])
        {
            Array.Clear(wa, u * 36, 36);
            Array.Clear(wb, u * 4, 4);
            ba[u] = 0;
        }

        var builder = new ModelBuilder(8, 13).Input("x", 1, skipFromInput ? 8 : 4, 8, 8).Output("y", 1, 6, 4, 4)
            .Initializer("wa", skipFromInput ? ModelBuilder.Random(8 * 8 * 9, seed: 11, scale: 0.5f) : wa, 8, skipFromInput ? 8 : 4, 3, 3).Initializer("ba", ba, 8)
            .Initializer("wc", ModelBuilder.Random(6 * 8 * 9, seed: 14, scale: 0.5f), 6, 8, 3, 3).Initializer("bc", ModelBuilder.Random(6, seed: 15, scale: 0.1f), 6)
            .Node("Conv", ["x", "wa", "ba"], ["h"], "", PassHarness.Ints("pads", 1, 1, 1, 1)).Node("Relu", ["h"], ["h1"]);
        builder = skipFromInput
            ? builder.Node("Add", ["h1", "x"], ["s"])
            : builder.Initializer("wb", wb, 8, 4, 1, 1).Node("Conv", ["x", "wb"], ["skip"]).Node("Add", ["h1", "skip"], ["s"]);
        return builder.Node("MaxPool", ["s"], ["p"], "", PassHarness.Ints("kernel_shape", 2, 2), PassHarness.Ints("strides", 2, 2))
            .Node("Conv", ["p", "wc", "bc"], ["y"], "", PassHarness.Ints("pads", 1, 1, 1, 1));
    }

    /// <summary>x[1,4,8,8] → Conv a (1×1, 8) → Relu → depthwise Conv (3×3, group 8) → Relu → Conv c (1×1, 6) → y; channels 1 and 5 of
    /// a and of the depthwise bias are zero when <paramref name="dead"/>.</summary>
    private static ModelBuilder Depthwise(bool dead)
    {
        var wa = ModelBuilder.Random(8 * 4, seed: 21, scale: 0.5f);
        var ba = ModelBuilder.Random(8, seed: 22, scale: 0.1f);
        var bd = ModelBuilder.Random(8, seed: 24, scale: 0.1f);
        foreach (var u in dead ? Dead : [])
        {
            Array.Clear(wa, u * 4, 4);
            ba[u] = 0;
            bd[u] = 0;
        }

        return new ModelBuilder(8, 13).Input("x", 1, 4, 8, 8).Output("y", 1, 6, 8, 8)
            .Initializer("wa", wa, 8, 4, 1, 1).Initializer("ba", ba, 8)
            .Initializer("wd", ModelBuilder.Random(8 * 9, seed: 23, scale: 0.5f), 8, 1, 3, 3).Initializer("bd", bd, 8)
            .Initializer("wc", ModelBuilder.Random(6 * 8, seed: 25, scale: 0.5f), 6, 8, 1, 1)
            .Node("Conv", ["x", "wa", "ba"], ["h"]).Node("Relu", ["h"], ["h1"])
            .Node("Conv", ["h1", "wd", "bd"], ["d"], "", PassHarness.Int("group", 8), PassHarness.Ints("pads", 1, 1, 1, 1)).Node("Relu", ["d"], ["d1"])
            .Node("Conv", ["d1", "wc"], ["y"]);
    }

    [Fact]
    public void Convs_whose_channels_meet_in_a_residual_addition_are_one_group_and_lose_the_same_channels()
    {
        using var temp = new TempDirectory();
        var (source, working) = PassHarness.Load(Residual(dead: true), temp);
        var editor = new GraphEditor(working.Proto.Graph);
        var group = Assert.Single(UnitGroups.Find(editor));
        Assert.Equal("tied-channels", group.Kind);
        Assert.Equal(8, group.Units);
        Assert.Equal(["wa", "wb"], group.Weights.Select(w => w.Node.Input[1]));
        Assert.Equal("wc", Assert.Single(group.Consumers).Node.Input[1]);
        Assert.Equal(36 + 4 + 54, group.ParametersPerUnit);

        var scores = ChannelPruner.Scores(working, editor, group, PruneMode.ChannelL1, null);
        Assert.Equal(Dead, Enumerable.Range(0, 8).Where(u => scores[u] == 0));
        ChannelPruner.Apply(working, editor, group, ChannelPruner.Keep(scores, 2), moments: null);
        _ = editor.RemoveUnusedInitializers();

        Assert.Equal([6L, 4, 3, 3], editor.ConstantTensor(working.Proto.Graph.Node.Single(n => n.Input[0] == "x" && n.Output[0] == "h").Input[1])!.Dims);
        Assert.Equal([6L, 4, 1, 1], editor.ConstantTensor(working.Proto.Graph.Node.Single(n => n.Output[0] == "skip").Input[1])!.Dims);
        Assert.Equal([6L, 6, 3, 3], editor.ConstantTensor(working.Proto.Graph.Node.Single(n => n.Output[0] == "y").Input[1])!.Dims);
        var (expected, actual) = PassHarness.RunBoth(source, working, temp, "x", ModelBuilder.Random(4 * 64, seed: 30), [1, 4, 8, 8]);
        Assert.True(PassHarness.MaxRelativeError(expected, actual) < 1e-5, $"{PassHarness.MaxRelativeError(expected, actual)}");
    }

    [Fact]
    public void Channels_added_to_a_graph_input_stay_whole()
    {
        var model = new DeepSeek.Onnx.Model.OnnxModel(Residual(dead: false, skipFromInput: true).Build());
        Assert.Empty(UnitGroups.Find(new GraphEditor(model.Proto.Graph)));
    }

    [Fact]
    public void Channels_through_a_depthwise_convolution_are_removed_from_its_filters_and_its_group_count()
    {
        using var temp = new TempDirectory();
        var (source, working) = PassHarness.Load(Depthwise(dead: true), temp);
        var editor = new GraphEditor(working.Proto.Graph);
        var group = Assert.Single(UnitGroups.Find(editor));
        Assert.Equal("conv-channels", group.Kind);
        var depthwise = Assert.Single(group.GroupCounts);

        var keep = ChannelPruner.Keep(ChannelPruner.Scores(working, editor, group, PruneMode.ChannelL2, null), 2);
        Assert.Equal(Enumerable.Range(0, 8).Except(Dead), keep);
        ChannelPruner.Apply(working, editor, group, keep, moments: null);
        _ = editor.RemoveUnusedInitializers();

        Assert.Equal(6, depthwise.Attribute.Single(a => a.Name == "group").I);
        Assert.Equal([6L, 1, 3, 3], editor.ConstantTensor(depthwise.Input[1])!.Dims);
        Assert.Equal([6L], editor.ConstantTensor(depthwise.Input[2])!.Dims);
        var (expected, actual) = PassHarness.RunBoth(source, working, temp, "x", ModelBuilder.Random(4 * 64, seed: 31), [1, 4, 8, 8]);
        Assert.True(PassHarness.MaxRelativeError(expected, actual) < 1e-5, $"{PassHarness.MaxRelativeError(expected, actual)}");
    }

    [Fact]
    public void Removing_live_tied_channels_changes_the_output()
    {
        using var temp = new TempDirectory();
        var (source, working) = PassHarness.Load(Residual(dead: false), temp);
        var editor = new GraphEditor(working.Proto.Graph);
        var group = Assert.Single(UnitGroups.Find(editor));
        ChannelPruner.Apply(working, editor, group, [0, 2, 3, 4, 6, 7], moments: null);
        var (expected, actual) = PassHarness.RunBoth(source, working, temp, "x", ModelBuilder.Random(4 * 64, seed: 30), [1, 4, 8, 8]);
        Assert.True(PassHarness.MaxRelativeError(expected, actual) > 1e-3);
    }
}
