using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Operators;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>The registry's table is consistent: each rule the passes rely on holds for every entry.</summary>
public sealed class OperatorRegistryTests
{
    [Fact]
    public void Each_operator_has_one_entry()
        => Assert.Equal(OperatorRegistry.Entries.Count, OperatorRegistry.Entries.Select(e => (e.Domain, e.OpType)).Distinct().Count());

    [Fact]
    public void A_weight_input_comes_with_its_layout_and_kernels_are_named_for_every_quantized_form()
    {
        Assert.All(OperatorRegistry.Entries, e =>
        {
            Assert.Equal(e.WeightInput is not null, e.Layout != WeightLayout.None);
            Assert.Equal(e.StaysFloatBecause is null, e.RuntimeKernels.Count > 0);
        });
    }

    [Fact]
    public void Operators_that_pass_parameters_through_ask_for_no_pair_and_float_ones_are_in_no_recipe()
    {
        Assert.All(OperatorRegistry.Entries.Where(e => e.SharesInputParameters), e => Assert.True(e is { Static: true, ActivationInputs.Count: 0 }, e.OpType));
        Assert.All(OperatorRegistry.Entries.Where(e => e.FusesIntoProducer), e => Assert.True(e.Static, e.OpType));
        Assert.All(OperatorRegistry.Entries.Where(e => e.StaysFloatBecause is not null), e => Assert.False(e.Static || e.Dynamic || e.Int4 || e.RankedLayer, e.OpType));
        Assert.All(OperatorRegistry.Entries.Where(e => e.RankedLayer), e => Assert.Contains(e.Layout, new[] { WeightLayout.OutputChannelsFirst, WeightLayout.Columns }));
    }

    [Theory]
    [InlineData("Conv", 0)]
    [InlineData("MatMul", 1)]
    [InlineData("Gemm", 1)]
    [InlineData("Gather", 0)]
    public void The_channel_axis_follows_the_layout(string opType, int axis)
        => Assert.Equal(axis, OperatorRegistry.ChannelAxis(OperatorRegistry.Find(opType)!.Layout));

    [Fact]
    public void Lookup_reads_the_domain_and_a_weight_only_when_constant_float_and_of_its_rank()
    {
        var graph = new ModelBuilder(8, 13).Input("x", "N", 4).Input("b", 4, 4)
            .Initializer("w", ModelBuilder.Random(16, 1), 4, 4).Initializer("w3", ModelBuilder.Random(16, 2), 1, 4, 4)
            .Node("MatMul", ["x", "w"], ["y1"]).Node("MatMul", ["x", "b"], ["y2"]).Node("MatMul", ["x", "w3"], ["y3"])
            .Node("MatMul", ["x", "w"], ["y4"], "com.example")
            .Output("y1", "N", 4).Build().Graph;
        var editor = new GraphEditor(graph);

        Assert.Equal("w", OperatorRegistry.Weight(graph.Node[0], editor)!.Name);
        Assert.Null(OperatorRegistry.Weight(graph.Node[1], editor)); // an activation
        Assert.Null(OperatorRegistry.Weight(graph.Node[2], editor)); // not 2-D
        Assert.Null(OperatorRegistry.Find(graph.Node[3])); // another domain's MatMul
        Assert.Null(OperatorRegistry.Find(new NodeProto { OpType = "NonMaxSuppression" })); // not listed: stays float
        Assert.False(OperatorRegistry.HasConvolution(graph));
    }
}
