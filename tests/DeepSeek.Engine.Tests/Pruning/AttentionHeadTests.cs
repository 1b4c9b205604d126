using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Pruning;
using DeepSeek.Engine.Tests.Passes;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Pruning;

/// <summary>Attention heads as prunable units, on a small self-attention block in the form PyTorch exports BERT.</summary>
public sealed class AttentionHeadTests
{
    private const int Hidden = 16;
    private const int Heads = 4;
    private const int Size = Hidden / Heads;
    private const int Tokens = 5;

    /// <summary>
    /// x[1,5,16] → q, k, v = x·W + b → Reshape [0,0,4,4] (q: a constant target; k, v: Concat of the batch and sequence read off
    /// Shape and constants 4, 4) → Transpose → softmax(q·kᵀ ÷ 2 + mask) · v → Transpose → Reshape [0,0,16] → ·W_o + b_o → y.
    /// Head <paramref name="deadHead"/>'s rows of W_o are zero (its output reaches nothing) when it is not −1. The mask is a graph
    /// input of shape [1, maskHeads, 1, 5].
    /// </summary>
    private static ModelBuilder Attention(int deadHead, int maskHeads = 1)
    {
        var wo = ModelBuilder.Random(Hidden * Hidden, seed: 14, scale: 0.5f);
        if (deadHead >= 0)
        {
            Array.Clear(wo, deadHead * Size * Hidden, Size * Hidden);
        }

        var builder = new ModelBuilder(8, 13).Input("x", 1, Tokens, Hidden).Input("mask", 1, maskHeads, 1, Tokens).Output("y", 1, Tokens, Hidden)
            .Initializer("wo", wo, Hidden, Hidden).Initializer("bo", ModelBuilder.Random(Hidden, seed: 15, scale: 0.1f), Hidden)
            .Initializer("scale", [2f]);
        builder.Graph.Initializer.Add(PassHarness.Int64s("split", 0, 0, Heads, Size));
        builder.Graph.Initializer.Add(PassHarness.Int64s("merge", 0, 0, Hidden));
        builder.Graph.Initializer.Add(PassHarness.Int64s("heads", Heads));
        builder.Graph.Initializer.Add(PassHarness.Int64s("size", Size));
        builder.Graph.Initializer.Add(Scalar("zero", 0));
        builder.Graph.Initializer.Add(Scalar("one", 1));
        var seed = 10;
        foreach (var p in new[] { "q", "k", "v" })
        {
            builder.Initializer("w" + p, ModelBuilder.Random(Hidden * Hidden, seed: seed++, scale: 0.5f), Hidden, Hidden)
                .Initializer("b" + p, ModelBuilder.Random(Hidden, seed: seed++, scale: 0.1f), Hidden)
                .Node("MatMul", ["x", "w" + p], [p + "0"]).Node("Add", ["b" + p, p + "0"], [p + "1"]);
            if (p == "q")
            {
                builder.Node("Reshape", [p + "1", "split"], [p + "2"]);
            }
            else
            {
                builder.Node("Shape", [p + "1"], [p + "s"]).Node("Gather", [p + "s", "zero"], [p + "b"], "", PassHarness.Int("axis", 0))
                    .Node("Gather", [p + "s", "one"], [p + "t"], "", PassHarness.Int("axis", 0))
                    .Node("Unsqueeze", [p + "b", "axes"], [p + "bu"]).Node("Unsqueeze", [p + "t", "axes"], [p + "tu"])
                    .Node("Concat", [p + "bu", p + "tu", "heads", "size"], [p + "shape"], "", PassHarness.Int("axis", 0))
                    .Node("Reshape", [p + "1", p + "shape"], [p + "2"]);
            }
        }

        builder.Graph.Initializer.Add(PassHarness.Int64s("axes", 0));
        return builder
            .Node("Transpose", ["q2"], ["q3"], "", PassHarness.Ints("perm", 0, 2, 1, 3))
            .Node("Transpose", ["k2"], ["k3"], "", PassHarness.Ints("perm", 0, 2, 3, 1))
            .Node("Transpose", ["v2"], ["v3"], "", PassHarness.Ints("perm", 0, 2, 1, 3))
            .Node("MatMul", ["q3", "k3"], ["s0"]).Node("Div", ["s0", "scale"], ["s1"]).Node("Add", ["s1", "mask"], ["s2"])
            .Node("Softmax", ["s2"], ["p"], "", PassHarness.Int("axis", -1))
            .Node("MatMul", ["p", "v3"], ["c0"]).Node("Transpose", ["c0"], ["c1"], "", PassHarness.Ints("perm", 0, 2, 1, 3))
            .Node("Reshape", ["c1", "merge"], ["c2"]).Node("MatMul", ["c2", "wo"], ["y0"]).Node("Add", ["y0", "bo"], ["y"]);
    }

    private static DeepSeek.Onnx.Protobuf.TensorProto Scalar(string name, long value)
    {
        var tensor = PassHarness.Int64s(name, value);
        tensor.Dims.Clear();
        return tensor;
    }

    [Fact]
    public void A_self_attention_block_is_one_group_of_heads_with_three_projections_and_the_output_projection_as_consumer()
    {
        var model = new DeepSeek.Onnx.Model.OnnxModel(Attention(deadHead: -1).Build());
        var group = Assert.Single(UnitGroups.Find(new GraphEditor(model.Proto.Graph)));
        Assert.Equal("attention-heads", group.Kind);
        Assert.Equal(Heads, group.Units);
        Assert.Equal(Size, group.Width);
        Assert.Equal(3, group.Weights.Count);
        Assert.Equal(3, group.PerUnit.Count); // the three biases
        Assert.Equal("wo", Assert.Single(group.Consumers).Node.Input[1]);
        Assert.Equal(["c2"], group.ConsumedValues);
        Assert.Equal(4, group.ShapeEdits.Count); // q, k, v: the heads; the merge: heads × size
        Assert.Equal("mask", Assert.Single(group.Broadcasts).Value);
        Assert.Equal((3 * (Hidden + 1) * Size) + (Size * Hidden), group.ParametersPerUnit);
    }

    [Fact]
    public void A_value_read_outside_the_block_leaves_its_heads_whole()
    {
        var builder = Attention(deadHead: -1).Output("p", 1, Heads, Tokens, Tokens); // the attention probabilities leave the graph
        Assert.Empty(UnitGroups.Find(new GraphEditor(builder.Build().Graph)));
    }

    [Fact]
    public void Removing_a_head_that_reaches_nothing_shrinks_every_projection_and_reshape_and_changes_no_output()
    {
        using var temp = new TempDirectory();
        var (source, working) = PassHarness.Load(Attention(deadHead: 2), temp);
        var editor = new GraphEditor(working.Proto.Graph);
        var group = Assert.Single(UnitGroups.Find(editor));
        var scores = ChannelPruner.Scores(working, editor, group, PruneMode.ChannelL2, null);
        Assert.Equal(2, Array.IndexOf(scores, scores.Min())); // weights' norms: its W_o rows are zero
        var keep = ChannelPruner.Keep(scores, 1);
        Assert.Equal([0, 1, 3], keep);
        ChannelPruner.Apply(working, editor, group, keep, moments: null);
        editor.SortTopologically();
        _ = editor.RemoveUnusedInitializers();

        foreach (var p in new[] { "q", "k", "v" })
        {
            Assert.Equal([(long)Hidden, 3L * Size], editor.ConstantTensor(working.Proto.Graph.Node.Single(n => n.OpType == "MatMul" && n.Output[0] == p + "0").Input[1])!.Dims);
        }

        Assert.Equal([3L * Size, Hidden], editor.ConstantTensor(working.Proto.Graph.Node.Single(n => n.Output[0] == "y0").Input[1])!.Dims);
        var x = ModelBuilder.Random(Tokens * Hidden, seed: 9);
        var mask = new float[Tokens];
        mask[^1] = -10000f; // the last token masked out
        var (expected, actual) = PassHarness.RunBoth(source, working, temp, "x", x, [1, Tokens, Hidden], extra: ("mask", mask, [1, 1, 1, Tokens]));
        Assert.True(PassHarness.MaxRelativeError(expected, actual) < 1e-5, $"{PassHarness.MaxRelativeError(expected, actual)}");

        // A live head removed: the output moves.
        var (_, again) = PassHarness.Load(Attention(deadHead: 2), temp);
        var editor2 = new GraphEditor(again.Proto.Graph);
        ChannelPruner.Apply(again, editor2, Assert.Single(UnitGroups.Find(editor2)), [1, 2, 3], moments: null);
        editor2.SortTopologically();
        var (_, moved) = PassHarness.RunBoth(source, again, temp, "x", x, [1, Tokens, Hidden], extra: ("mask", mask, [1, 1, 1, Tokens]));
        Assert.True(PassHarness.MaxRelativeError(expected, moved) > 1e-3);
    }
}
