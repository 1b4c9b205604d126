using DeepSeek.Engine.Passes;
using DeepSeek.Onnx.Model;
using DeepSeek.Testing;
using static DeepSeek.Engine.Tests.Passes.PassHarness;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>Characterization of <see cref="ConstantInitializersPass"/>: initializers listed as graph inputs.</summary>
public sealed class ConstantInitializersPassTests
{
    [Fact]
    public void An_IR_3_model_loses_its_initializer_inputs_and_is_raised_to_IR_4()
    {
        using var temp = new TempDirectory();
        var (source, working) = Load(ModelBuilder.Mlp(3, 9), temp);
        Assert.Equal(["x", "w1", "w2"], working.Proto.Graph.Input.Select(i => i.Name));

        var result = new ConstantInitializersPass().Run(new PassContext(working));

        Assert.Equal(2, result.Counters["inputsRemoved"]);
        Assert.Equal(1, result.Counters["constantsConverted"]); // the Mlp's bias b1
        Assert.Equal("2 initializer(s) no longer listed as inputs, 1 Constant node(s) made initializers; IR 3 → 4", result.Summary);
        Assert.Equal(4, working.Proto.IrVersion);
        Assert.Equal(["x"], working.Proto.Graph.Input.Select(i => i.Name));
        Assert.Equal(["w1", "w2", "b1"], working.Proto.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(ModelBuilder.Mlp(3, 9).Build().Graph.Node.Where(n => n.OpType != "Constant"), working.Proto.Graph.Node);

        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(3 * 8, 2), [3, 8]);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void At_IR_4_or_later_initializers_listed_as_inputs_are_removed_too_and_the_IR_is_kept()
    {
        var builder = new ModelBuilder(8, 13).Input("x", "N", 8).Initializer("w", ModelBuilder.Random(32, 1), 8, 4)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", "N", 4);
        builder.Graph.Input.Add(ModelBuilder.Value("w", [8, 4])); // an overridable default at IR >= 4
        var working = new OnnxModel(builder.Build());

        var result = new ConstantInitializersPass().Run(new PassContext(working));

        Assert.Equal(1, result.Counters["inputsRemoved"]);
        Assert.Equal("1 initializer(s) no longer listed as inputs, 0 Constant node(s) made initializers", result.Summary);
        Assert.Equal(8, working.Proto.IrVersion);
        Assert.Equal(["x"], working.Proto.Graph.Input.Select(i => i.Name));
    }

    /// <summary>
    /// Weights held in Constant nodes (PaddlePaddle exports) become initializers of the same name, so that the quantizers
    /// replace them instead of adding int8 copies beside them; before, the pass found "no initializer listed as an input".
    /// </summary>
    [Fact]
    public void Constant_node_weights_become_initializers_of_the_same_name_and_the_outputs_do_not_change()
    {
        using var temp = new TempDirectory();
        var model = new ModelBuilder(3, 9).Input("x", "N", 8)
            .Constant("w1", ModelBuilder.Random(8 * 16, 1), 8, 16)
            .Constant("w2", ModelBuilder.Random(16 * 4, 2), 16, 4)
            .Node("MatMul", ["x", "w1"], ["h"])
            .Node("MatMul", ["h", "w2"], ["y"])
            .Output("y", "N", 4);
        var (source, working) = Load(model, temp);

        var result = new ConstantInitializersPass().Run(new PassContext(working));

        Assert.Equal(0, result.Counters["inputsRemoved"]);
        Assert.Equal(2, result.Counters["constantsConverted"]);
        Assert.Equal("0 initializer(s) no longer listed as inputs, 2 Constant node(s) made initializers; IR 3 → 4", result.Summary);
        Assert.Equal(4, working.Proto.IrVersion);
        Assert.Equal(["w1", "w2"], working.Proto.Graph.Initializer.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["MatMul", "MatMul"], OpTypes(working));
        var (expected, actual) = RunBoth(source, working, temp, "x", ModelBuilder.Random(3 * 8, 2), [3, 8]);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_model_without_either_is_left_as_it_was()
    {
        var model = new ModelBuilder(8, 13).Input("x", "N", 8).Initializer("w", ModelBuilder.Random(32, 1), 8, 4)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", "N", 4).Build();
        var working = new OnnxModel(model.Clone());

        var result = new ConstantInitializersPass().Run(new PassContext(working));

        Assert.Equal("no initializer was listed as an input, no weight was a Constant node", result.Summary);
        Assert.Equal(model, working.Proto);
    }
}
