using System.Buffers.Binary;
using DeepSeek.Engine.Passes;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Onnx.Validation;
using DeepSeek.Testing;
using Google.Protobuf;

namespace DeepSeek.Engine.Tests.Passes;

/// <summary>
/// Each test builds a small model at an old opset whose outputs depend on what the upgrade rewrites, upgrades it, checks
/// the result with the model validator, and runs both files in ONNX Runtime on the same random input.
/// </summary>
public sealed class OpsetUpgradePassTests
{
    private const float Tolerance = 1e-6f;

    [Fact]
    public void Clip_min_and_max_attributes_become_scalar_inputs_and_absent_bounds_stay_absent()
    {
        var builder = new ModelBuilder(irVersion: 3, opset: 7)
            .Input("x", 2, 3, 4)
            .Node("Clip", ["x"], ["both"], "", Float("min", -0.3f), Float("max", 0.4f))
            .Node("Clip", ["x"], ["only_max"], "", Float("max", 0.2f))
            .Node("Clip", ["x"], ["only_min"], "", Float("min", -0.1f))
            .Node("Clip", ["x"], ["neither"])
            .Output("both", 2, 3, 4).Output("only_max", 2, 3, 4).Output("only_min", 2, 3, 4).Output("neither", 2, 3, 4);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 2, 3, 4));

        Assert.Equal(7, model.IrVersion);
        Assert.Equal(3, result.Counters["Clip"]);
        var clips = model.Proto.Graph.Node.Where(n => n.OpType == "Clip").ToArray();
        Assert.All(clips, n => Assert.Empty(n.Attribute));
        Assert.Equal(3, clips[0].Input.Count);
        Assert.Equal("", clips[1].Input[1]);
        Assert.Equal(3, clips[1].Input.Count);
        Assert.Equal(2, clips[2].Input.Count);
        Assert.Single(clips[3].Input);
        var min = model.Proto.Graph.Initializer.Single(t => t.Name == clips[0].Input[1]);
        Assert.Empty(min.Dims);
        Assert.Equal(-0.3f, BinaryPrimitives.ReadSingleLittleEndian(min.RawData.Span));
    }

    [Fact]
    public void Slice_starts_ends_and_axes_become_int64_inputs()
    {
        var builder = new ModelBuilder(irVersion: 4, opset: 9)
            .Input("x", 3, 4, 5)
            .Node("Slice", ["x"], ["y"], "", Ints("starts", 1, 0), Ints("ends", 3, -1), Ints("axes", 0, 2))
            .Node("Slice", ["x"], ["z"], "", Ints("starts", 0, 1), Ints("ends", 2, 1000))
            .Output("y", 2, 4, 4).Output("z", 2, 3, 5);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 3, 4, 5));

        Assert.Equal(2, result.Counters["Slice"]);
        var slices = model.Proto.Graph.Node.Where(n => n.OpType == "Slice").ToArray();
        Assert.All(slices, n => Assert.Empty(n.Attribute));
        Assert.Equal(4, slices[0].Input.Count);
        Assert.Equal(3, slices[1].Input.Count);
        var ends = model.Proto.Graph.Initializer.Single(t => t.Name == slices[0].Input[2]);
        Assert.Equal((int)TensorProto.Types.DataType.Int64, ends.DataType);
        Assert.Equal(new long[] { 3, -1 }, Int64s(ends));
    }

    [Fact]
    public void Squeeze_and_Unsqueeze_axes_become_int64_inputs()
    {
        var builder = new ModelBuilder(irVersion: 6, opset: 11)
            .Input("x", 2, 1, 3, 1)
            .Node("Squeeze", ["x"], ["a"], "", Ints("axes", 1))
            .Node("Unsqueeze", ["a"], ["b"], "", Ints("axes", 0, 4))
            .Node("Squeeze", ["x"], ["c"])
            .Node("Unsqueeze", ["c"], ["d"], "", Ints("axes", -1))
            .Output("b", 1, 2, 3, 1, 1).Output("d", 2, 3, 1);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 2, 1, 3, 1));

        Assert.Equal(1, result.Counters["Squeeze"]);
        Assert.Equal(2, result.Counters["Unsqueeze"]);
        var nodes = model.Proto.Graph.Node;
        Assert.All(nodes, n => Assert.Empty(n.Attribute));
        Assert.Equal(new[] { 2, 2, 1, 2 }, nodes.Select(n => n.Input.Count));
    }

    [Theory]
    [InlineData(13)]
    [InlineData(18)]
    public void Reduce_axes_move_to_an_input_at_13_for_ReduceSum_and_at_18_for_the_others(long target)
    {
        string[] others = ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"];
        var builder = new ModelBuilder(irVersion: 6, opset: 11)
            .Input("x", 2, 3, 4)
            .Node("ReduceSum", ["x"], ["sum"], "", Ints("axes", 1), Int("keepdims", 0))
            .Node("ReduceSum", ["x"], ["all"], "", Int("keepdims", 1))
            .Output("sum", 2, 4).Output("all", 1, 1, 1);
        foreach (var op in others)
        {
            builder.Node(op, ["x"], [op], "", Ints("axes", 0, 2), Int("keepdims", 0)).Output(op, 3);
        }

        var (model, result) = UpgradeAndCompare(builder, Input("x", 2, 3, 4, positive: true), target);

        Assert.Equal(1, result.Counters["ReduceSum"]);
        var nodes = model.Proto.Graph.Node;
        Assert.Equal(2, nodes.Single(n => n.Output[0] == "sum").Input.Count);
        Assert.Single(nodes.Single(n => n.Output[0] == "all").Input);
        foreach (var op in others)
        {
            var node = nodes.Single(n => n.OpType == op);
            if (target >= 18)
            {
                Assert.Equal(1, result.Counters[op]);
                Assert.Equal(2, node.Input.Count);
                Assert.DoesNotContain(node.Attribute, a => a.Name == "axes");
            }
            else
            {
                Assert.False(result.Counters.ContainsKey(op));
                Assert.Single(node.Input);
                Assert.Contains(node.Attribute, a => a.Name == "axes");
            }
        }
    }

    [Theory]
    [InlineData(13)]
    [InlineData(18)]
    public void Split_sizes_become_an_input_and_equal_splits_get_num_outputs_at_18(long target)
    {
        var builder = new ModelBuilder(irVersion: 6, opset: 11)
            .Input("x", 2, 6)
            .Node("Split", ["x"], ["a", "b", "c"], "", Int("axis", 1), Ints("split", 1, 2, 3))
            .Node("Split", ["x"], ["d", "e"], "", Int("axis", 0))
            .Output("a", 2, 1).Output("b", 2, 2).Output("c", 2, 3).Output("d", 1, 6).Output("e", 1, 6);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 2, 6), target);

        var sized = model.Proto.Graph.Node[0];
        var equal = model.Proto.Graph.Node[1];
        Assert.Equal(2, sized.Input.Count);
        Assert.DoesNotContain(sized.Attribute, a => a.Name == "split");
        Assert.DoesNotContain(sized.Attribute, a => a.Name == "num_outputs");
        Assert.Single(equal.Input);
        if (target >= 18)
        {
            Assert.Equal(2, equal.Attribute.Single(a => a.Name == "num_outputs").I);
            Assert.Equal(2, result.Counters["Split"]);
        }
        else
        {
            Assert.DoesNotContain(equal.Attribute, a => a.Name == "num_outputs");
            Assert.Equal(1, result.Counters["Split"]);
        }
    }

    [Theory]
    [InlineData("Softmax")]
    [InlineData("LogSoftmax")]
    [InlineData("Hardmax")]
    public void Softmax_family_keeps_its_coerce_to_2d_meaning_when_the_axis_is_not_the_last(string op)
    {
        var builder = new ModelBuilder(irVersion: 6, opset: 11)
            .Input("x", 2, 3, 4, 5)
            .Input("m", 4, 6)
            .Node(op, ["x"], ["default_axis"])
            .Node(op, ["x"], ["last_axis"], "", Int("axis", 3))
            .Node(op, ["x"], ["minus_one"], "", Int("axis", -1))
            .Node(op, ["x"], ["axis_2"], "", Int("axis", 2))
            .Node(op, ["x"], ["axis_0"], "", Int("axis", 0))
            .Node(op, ["m"], ["matrix"])
            .Node("Relu", ["x"], ["r"])
            .Node(op, ["r"], ["unknown_rank"])
            .Node("Relu", ["unknown_rank"], ["after_unknown"])
            .Output("default_axis", 2, 3, 4, 5).Output("last_axis", 2, 3, 4, 5).Output("minus_one", 2, 3, 4, 5)
            .Output("axis_2", 2, 3, 4, 5).Output("axis_0", 2, 3, 4, 5).Output("matrix", 4, 6).Output("after_unknown", 2, 3, 4, 5);

        var inputs = new Dictionary<string, (float[], long[])>
        {
            ["x"] = (ModelBuilder.Random(2 * 3 * 4 * 5, 11, 3f), [2, 3, 4, 5]),
            ["m"] = (ModelBuilder.Random(4 * 6, 12, 3f), [4, 6]),
        };
        var (model, result) = UpgradeAndCompare(builder, inputs);

        Assert.Equal(7, result.Counters[op]);
        var nodes = model.Proto.Graph.Node;
        // Axis 1 (default), 2, 0 and the unknown-rank input go through Flatten + op + Reshape; the last axis stays one node.
        Assert.Equal(4, nodes.Count(n => n.OpType == "Flatten"));
        Assert.Equal(4, nodes.Count(n => n.OpType == "Reshape"));
        Assert.Equal(4, nodes.Count(n => n.OpType == "Shape"));
        Assert.All(nodes.Where(n => n.OpType == op), n => Assert.Equal(-1, n.Attribute.Single(a => a.Name == "axis").I));
        Assert.Equal(new[] { "last_axis", "minus_one" }, nodes.Where(n => n.OpType == op && n.Input[0] == "x").Select(n => n.Output[0]));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(11)]
    public void Dropout_becomes_Identity(long opset)
    {
        var builder = new ModelBuilder(irVersion: 4, opset: opset)
            .Input("x", 2, 8)
            .Node("Dropout", ["x"], ["a"], "", Float("ratio", 0.3f))
            .Node("Relu", ["a"], ["y"])
            .Node("Dropout", ["x"], ["b", "mask"])
            .Output("y", 2, 8).Output("b", 2, 8);
        var mask = ModelBuilder.Value("mask", [2, 8]);
        mask.Type.TensorType.ElemType = (int)(opset >= 10 ? TensorProto.Types.DataType.Bool : TensorProto.Types.DataType.Float);
        builder.Graph.ValueInfo.Add(mask);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 2, 8));

        Assert.Equal(2, result.Counters["Dropout"]);
        Assert.Contains("Identity", result.Summary, StringComparison.Ordinal);
        var nodes = model.Proto.Graph.Node;
        Assert.DoesNotContain(nodes, n => n.OpType == "Dropout");
        Assert.All(nodes.Where(n => n.OpType == "Identity"), n =>
        {
            Assert.Empty(n.Attribute);
            Assert.Single(n.Input);
            Assert.Single(n.Output);
        });
        Assert.DoesNotContain(model.Proto.Graph.ValueInfo, v => v.Name == "mask");
    }

    [Fact]
    public void Dropout_whose_mask_is_read_cannot_be_upgraded()
    {
        var builder = new ModelBuilder(irVersion: 4, opset: 7)
            .Input("x", 2, 8)
            .Node("Dropout", ["x"], ["a", "mask"])
            .Node("Add", ["a", "mask"], ["y"])
            .Output("y", 2, 8);

        var e = AssertNotUpgradable(builder);
        Assert.Contains("'mask'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchNormalization_spatial_1_is_dropped()
    {
        var builder = new ModelBuilder(irVersion: 3, opset: 7)
            .Input("x", 2, 3, 4, 4)
            .Initializer("scale", ModelBuilder.Random(3, 21), 3)
            .Initializer("bias", ModelBuilder.Random(3, 22), 3)
            .Initializer("mean", ModelBuilder.Random(3, 23), 3)
            .Initializer("var", ModelBuilder.Random(3, 24).Select(v => Math.Abs(v) + 0.5f).ToArray(), 3)
            .Node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], "", Int("spatial", 1), Float("epsilon", 1e-3f))
            .Node("BatchNormalization", ["y", "scale", "bias", "mean", "var"], ["z"], "", Float("momentum", 0.8f))
            .Output("z", 2, 3, 4, 4);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 2, 3, 4, 4));

        Assert.Equal(1, result.Counters["BatchNormalization"]);
        var bn = model.Proto.Graph.Node[0];
        Assert.DoesNotContain(bn.Attribute, a => a.Name == "spatial");
        Assert.Contains(bn.Attribute, a => a.Name == "epsilon");
    }

    [Fact]
    public void BatchNormalization_spatial_0_cannot_be_upgraded_and_the_model_is_left_as_it_was()
    {
        var builder = new ModelBuilder(irVersion: 3, opset: 7)
            .Input("x", 2, 3, 4, 4)
            .Initializer("scale", ModelBuilder.Random(48, 21), 3, 4, 4)
            .Initializer("bias", ModelBuilder.Random(48, 22), 3, 4, 4)
            .Initializer("mean", ModelBuilder.Random(48, 23), 3, 4, 4)
            .Initializer("var", ModelBuilder.Random(48, 24).Select(v => Math.Abs(v) + 0.5f).ToArray(), 3, 4, 4)
            .Node("Clip", ["x"], ["c"], "", Float("min", 0f))
            .Node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["y"], "", Int("spatial", 0))
            .Output("y", 2, 3, 4, 4);

        var e = AssertNotUpgradable(builder);
        Assert.Contains("spatial=0", e.Message, StringComparison.Ordinal);
        Assert.Contains("BatchNormalization_1", e.Message, StringComparison.Ordinal);
        Assert.Contains("(at opset 9)", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<long, string, float[]> UpsampleCases => new()
    {
        { 7, "nearest", [1, 1, 2, 3] },
        { 7, "nearest", [1, 1, 1.5f, 2.5f] },
        { 7, "linear", [1, 1, 2, 3] },
        { 7, "linear", [1, 1, 1.5f, 2.5f] },
        { 8, "nearest", [1, 2, 2, 2] },
        { 9, "nearest", [1, 1, 2, 3] },
        { 9, "nearest", [1, 1, 1.5f, 2.5f] },
        { 9, "linear", [1, 1, 2, 3] },
        { 9, "linear", [1, 1, 1.5f, 2.5f] },
    };

    [Theory]
    [MemberData(nameof(UpsampleCases))]
    public void Upsample_becomes_Resize_with_the_coordinates_Upsample_used(long opset, string mode, float[] scales)
    {
        var builder = new ModelBuilder(irVersion: 4, opset: opset).Input("x", 1, 2, 3, 4);
        if (opset < 9)
        {
            builder.Node("Upsample", ["x"], ["y"], "", Str("mode", mode), Floats("scales", scales));
        }
        else
        {
            builder.Initializer("scales", scales, 4).Node("Upsample", ["x", "scales"], ["y"], "", Str("mode", mode));
        }

        long[] shape = [1, 2, 3, 4];
        builder.Output("y", shape.Select((d, i) => (object)(long)Math.Floor(d * scales[i])).ToArray());

        var (model, result) = UpgradeAndCompare(builder, Input("x", 1, 2, 3, 4));

        Assert.Equal(1, result.Counters["Upsample"]);
        var resize = Assert.Single(model.Proto.Graph.Node);
        Assert.Equal("Resize", resize.OpType);
        Assert.Equal(3, resize.Input.Count);
        Assert.Equal("", resize.Input[1]);
        Assert.Equal("asymmetric", StringAttribute(resize, "coordinate_transformation_mode"));
        Assert.Equal(mode, StringAttribute(resize, "mode"));
        Assert.Equal(mode == "nearest" ? "floor" : null, StringAttribute(resize, "nearest_mode"));
    }

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    public void Deprecated_Upsample_at_opset_10_becomes_the_Resize_that_gives_what_Upsample_9_gave(string mode)
    {
        // ONNX Runtime refuses Upsample at opset 10 (deprecated), so the same node at opset 9 is the reference.
        ModelBuilder Build(long opset) => new ModelBuilder(irVersion: 5, opset: opset)
            .Input("x", 1, 2, 3, 4)
            .Initializer("scales", [1, 1, 1.5f, 2.5f], 4)
            .Node("Upsample", ["x", "scales"], ["y"], "", Str("mode", mode))
            .Output("y", 1, 2, 4, 10);
        using var temp = new TempDirectory();
        var inputs = Input("x", 1, 2, 3, 4);
        var expected = Ort.Run(Build(9).Save(temp.File("upsample-9.onnx")), inputs).Single();
        var model = OnnxModel.Load(Build(10).Save(temp.File("upsample-10.onnx")));

        var result = new OpsetUpgradePass().Run(new PassContext(model));

        ModelValidator.Validate(model);
        Assert.Equal(1, result.Counters["Upsample"]);
        Assert.Equal("Resize", Assert.Single(model.Proto.Graph.Node).OpType);
        var upgraded = temp.File("resize-13.onnx");
        model.Save(upgraded);
        AssertClose(expected, Ort.Run(upgraded, inputs).Single());
    }

    [Theory]
    [InlineData("nearest", new[] { 1f, 1, 2, 3 }, "floor")]
    [InlineData("nearest", new[] { 1f, 1, 0.5f, 0.5f }, "ceil")]
    [InlineData("nearest", new[] { 1f, 1, 0.7f, 0.6f }, "ceil")]
    [InlineData("linear", new[] { 1f, 1, 2, 1.5f }, null)]
    [InlineData("linear", new[] { 1f, 1, 0.5f, 0.75f }, null)]
    public void Resize_10_gets_an_empty_roi_and_its_coordinate_mapping(string mode, float[] scales, string? nearestMode)
    {
        long[] shape = [1, 2, 6, 8];
        var builder = new ModelBuilder(irVersion: 5, opset: 10)
            .Input("x", 1, 2, 6, 8)
            .Initializer("scales", scales, 4)
            .Node("Resize", ["x", "scales"], ["y"], "", Str("mode", mode))
            .Output("y", shape.Select((d, i) => (object)(long)Math.Floor(d * scales[i])).ToArray());

        var (model, result) = UpgradeAndCompare(builder, Input("x", 1, 2, 6, 8));

        Assert.Equal(1, result.Counters["Resize"]);
        var resize = Assert.Single(model.Proto.Graph.Node);
        Assert.Equal(new[] { "x", "", "scales" }, resize.Input);
        Assert.Equal("asymmetric", StringAttribute(resize, "coordinate_transformation_mode"));
        Assert.Equal(nearestMode, StringAttribute(resize, "nearest_mode"));
    }

    [Fact]
    public void Resize_upgraded_to_11_or_12_gets_an_empty_roi_tensor()
    {
        var builder = new ModelBuilder(irVersion: 5, opset: 10)
            .Input("x", 1, 2, 3, 4)
            .Initializer("scales", [1, 1, 2, 2], 4)
            .Node("Resize", ["x", "scales"], ["y"], "", Str("mode", "linear"))
            .Output("y", 1, 2, 6, 8);

        var (model, _) = UpgradeAndCompare(builder, Input("x", 1, 2, 3, 4), target: 11);

        var roi = model.Proto.Graph.Initializer.Single(t => t.Name == model.Proto.Graph.Node[0].Input[1]);
        Assert.Equal(new long[] { 0 }, roi.Dims);
    }

    public static TheoryData<long, string?, float?> PadCases => new()
    {
        { 7, "constant", 1.5f },
        { 7, null, null },
        { 7, "reflect", null },
        { 7, "edge", null },
        { 10, "constant", -2.25f },
        { 10, "reflect", null },
    };

    [Theory]
    [MemberData(nameof(PadCases))]
    public void Pad_pads_and_value_become_inputs(long opset, string? mode, float? value)
    {
        var attributes = new List<AttributeProto> { Ints("pads", 0, 0, 1, 2, 0, 0, 2, 1) };
        if (mode is not null)
        {
            attributes.Add(Str("mode", mode));
        }

        if (value is { } v)
        {
            attributes.Add(Float("value", v));
        }

        var builder = new ModelBuilder(irVersion: 4, opset: opset)
            .Input("x", 1, 2, 3, 4)
            .Node("Pad", ["x"], ["y"], "", [.. attributes])
            .Output("y", 1, 2, 6, 7);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 1, 2, 3, 4));

        Assert.Equal(1, result.Counters["Pad"]);
        var pad = Assert.Single(model.Proto.Graph.Node);
        Assert.Equal(value is null ? 2 : 3, pad.Input.Count);
        Assert.DoesNotContain(pad.Attribute, a => a.Name is "pads" or "value");
        Assert.Equal(new long[] { 0, 0, 1, 2, 0, 0, 2, 1 }, Int64s(model.Proto.Graph.Initializer.Single(t => t.Name == pad.Input[1])));
    }

    [Fact]
    public void TopK_k_becomes_an_input()
    {
        var builder = new ModelBuilder(irVersion: 4, opset: 9)
            .Input("x", 3, 5)
            .Node("TopK", ["x"], ["values", "indices"], "", Int("k", 2), Int("axis", 1))
            .Output("values", 3, 2);

        var (model, result) = UpgradeAndCompare(builder, Input("x", 3, 5));

        Assert.Equal(1, result.Counters["TopK"]);
        var topk = Assert.Single(model.Proto.Graph.Node);
        Assert.Equal(2, topk.Input.Count);
        Assert.Equal(new long[] { 2 }, Int64s(model.Proto.Graph.Initializer.Single(t => t.Name == topk.Input[1])));
    }

    [Fact]
    public void Operators_unchanged_between_opset_7_and_13_are_kept_as_they_are()
    {
        var builder = new ModelBuilder(irVersion: 4, opset: 7)
            .Input("x", 1, 3, 8, 8)
            .Initializer("w", ModelBuilder.Random(4 * 3 * 3 * 3, 31), 4, 3, 3, 3)
            .Initializer("b", ModelBuilder.Random(4, 32), 4)
            .Initializer("gw", ModelBuilder.Random(4 * 5, 33), 4, 5)
            .Initializer("gc", ModelBuilder.Random(5, 34), 5)
            .Initializer("mw", ModelBuilder.Random(4 * 5, 35), 4, 5)
            .Constant("k", ModelBuilder.Random(5, 36).Select(v => 1.5f + v).ToArray(), 5)
            .Node("Conv", ["x", "w", "b"], ["c"], "", Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3))
            .Node("Relu", ["c"], ["r"])
            .Node("MaxPool", ["r"], ["m"], "", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2))
            .Node("AveragePool", ["m"], ["ap"], "", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2))
            .Node("GlobalAveragePool", ["ap"], ["g"])
            .Node("Flatten", ["g"], ["f"], "", Int("axis", 1))
            .Node("Gemm", ["f", "gw", "gc"], ["gm"])
            .Node("MatMul", ["f", "mw"], ["mm"])
            .Node("Add", ["gm", "mm"], ["s1"])
            .Node("Sub", ["gm", "mm"], ["s2"])
            .Node("Mul", ["s1", "s2"], ["s3"])
            .Node("Div", ["s3", "k"], ["s4"])
            .Node("Sigmoid", ["s4"], ["s5"])
            .Node("Tanh", ["s4"], ["s6"])
            .Node("LeakyRelu", ["s4"], ["s7"], "", Float("alpha", 0.2f))
            .Node("Sum", ["s5", "s6", "s7"], ["s8"])
            .Node("Identity", ["s8"], ["s9"])
            .Node("Concat", ["s9", "s4"], ["cc"], "", Int("axis", 1))
            .Node("Transpose", ["cc"], ["t"], "", Ints("perm", 1, 0))
            .Node("Reshape", ["t", "shape"], ["rs"])
            .Node("Shape", ["x"], ["sx"])
            .Node("Gather", ["sx", "index"], ["channels"], "", Int("axis", 0))
            .Node("Cast", ["channels"], ["channels_f"], "", Int("to", (int)TensorProto.Types.DataType.Float))
            .Node("Mul", ["rs", "channels_f"], ["y"])
            .Output("y", 2, 5);
        builder.Graph.Initializer.Add(Int64Tensor("shape", [2, 5], 2));
        builder.Graph.Initializer.Add(Int64Tensor("index", [1]));
        var nodesBefore = builder.Graph.Node.Clone();

        var (model, result) = UpgradeAndCompare(builder, Input("x", 1, 3, 8, 8));

        Assert.Empty(result.Counters);
        Assert.Equal(nodesBefore, model.Proto.Graph.Node);
        Assert.Contains("0 node(s) rewritten", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Subgraphs_are_upgraded_with_their_own_initializers()
    {
        var condition = new ModelBuilder(irVersion: 5, opset: 10);
        var then = new GraphProto { Name = "then" };
        then.Node.Add(NodeOf("Clip", ["x"], ["then_out"], Float("min", -0.2f), Float("max", 0.3f)));
        then.Output.Add(ModelBuilder.Value("then_out", [2, 3, 4]));
        var otherwise = new GraphProto { Name = "else" };
        otherwise.Node.Add(NodeOf("Softmax", ["x"], ["else_out"]));
        otherwise.Output.Add(ModelBuilder.Value("else_out", [2, 3, 4]));
        condition
            .Input("x", 2, 3, 4)
            .Initializer("zero", [0f])
            .Node("ReduceSum", ["x"], ["total"], "", Int("keepdims", 0))
            .Node("Greater", ["total", "zero"], ["positive"])
            .Node("If", ["positive"], ["y"], "",
                new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then },
                new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = otherwise })
            .Output("y", 2, 3, 4);

        var positive = ModelBuilder.Random(24, 41).Select(v => Math.Abs(v) + 0.01f).ToArray();
        var negative = positive.Select(v => -v).ToArray();
        var (model, result) = UpgradeAndCompare(condition, new Dictionary<string, (float[], long[])> { ["x"] = (positive, [2, 3, 4]) });
        _ = UpgradeAndCompare(condition, new Dictionary<string, (float[], long[])> { ["x"] = (negative, [2, 3, 4]) });

        Assert.Equal(1, result.Counters["Clip"]);
        Assert.Equal(1, result.Counters["Softmax"]);
        var branches = model.Proto.Graph.Node.Single(n => n.OpType == "If").Attribute.ToDictionary(a => a.Name, a => a.G);
        Assert.Equal(2, branches["then_branch"].Initializer.Count);
        Assert.Equal(3, branches["then_branch"].Node[0].Input.Count);
        Assert.Contains(branches["else_branch"].Node, n => n.OpType == "Flatten");
        var allNames = model.Proto.Graph.Initializer.Select(t => t.Name).Concat(branches.Values.SelectMany(g => g.Initializer.Select(t => t.Name)));
        Assert.Equal(allNames.Count(), allNames.Distinct().Count());
    }

    [Fact]
    public void ResNet18_upgraded_from_opset_8_to_13_gives_the_same_features_on_a_real_photo()
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(TestAssets.ResNet18);
        Assert.Equal(8, model.GetOpsetVersion(""));
        var batchNorms = model.Proto.Graph.Node.Count(n => n.OpType == "BatchNormalization");
        var pads = model.Proto.Graph.Node.Count(n => n.OpType == "Pad");
        var input = model.Graph.Inputs.Single().Name;

        var result = new OpsetUpgradePass().Run(new PassContext(model));
        ModelValidator.Validate(model);
        var upgraded = temp.File("resnet18-13.onnx");
        model.Save(upgraded);

        Assert.Equal(13, model.GetOpsetVersion(""));
        Assert.Equal(7, model.IrVersion);
        Assert.Equal(batchNorms, result.Counters["BatchNormalization"]);
        Assert.Equal(pads, result.Counters.GetValueOrDefault("Pad"));
        Assert.DoesNotContain(model.Proto.Graph.Node, n => n.Attribute.Any(a => a.Name == "spatial"));
        var photo = PngImage.Load(TestAssets.Images[0]).ToNchw(224);
        var expected = Ort.Run(TestAssets.ResNet18, input, photo, [1, 3, 224, 224]).Single();
        var actual = Ort.Run(upgraded, input, photo, [1, 3, 224, 224]).Single();
        Assert.Equal(512, expected.Length);
        Assert.Contains(expected, v => v != 0f);
        AssertClose(expected, actual);
    }

    [Fact]
    public void An_operator_the_pass_does_not_know_is_named_in_DSB0060()
    {
        var builder = new ModelBuilder(irVersion: 3, opset: 8)
            .Input("x", 2, 3)
            .Node("Relu", ["x"], ["r"])
            .Node("FooBar", ["r"], ["y"])
            .Output("y", 2, 3);

        var e = AssertNotUpgradable(builder);
        Assert.Contains("node 'FooBar_1' ('FooBar')", e.Message, StringComparison.Ordinal);
        Assert.Contains("from opset 8 to 13", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_8_cannot_be_upgraded()
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(ModelBuilder.Value("state", [3]));
        body.Input.Add(ModelBuilder.Value("item", [3]));
        body.Node.Add(NodeOf("Add", ["state", "item"], ["next"]));
        body.Node.Add(NodeOf("Identity", ["next"], ["out"]));
        body.Output.Add(ModelBuilder.Value("next", [3]));
        body.Output.Add(ModelBuilder.Value("out", [3]));
        var builder = new ModelBuilder(irVersion: 3, opset: 8)
            .Input("init", 1, 3)
            .Input("xs", 1, 4, 3)
            .Node("Scan", ["", "init", "xs"], ["final", "ys"], "",
                new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body }, Int("num_scan_inputs", 1))
            .Output("final", 1, 3).Output("ys", 1, 4, 3);

        var e = AssertNotUpgradable(builder);
        Assert.Contains("('Scan')", e.Message, StringComparison.Ordinal);
        Assert.Contains("(at opset 9)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operator_newer_than_the_models_opset_and_an_opset_older_than_7_are_refused()
    {
        var resize = new ModelBuilder(irVersion: 4, opset: 9)
            .Input("x", 1, 1, 2, 2)
            .Initializer("scales", [1, 1, 2, 2], 4)
            .Node("Resize", ["x", "scales"], ["y"])
            .Output("y", 1, 1, 4, 4);
        Assert.Contains("does not exist at opset 9", AssertNotUpgradable(resize).Message, StringComparison.Ordinal);

        var old = new ModelBuilder(irVersion: 3, opset: 6).Input("x", 2).Node("Relu", ["x"], ["y"]).Output("y", 2);
        Assert.Contains("opset 6", AssertNotUpgradable(old).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(14)]
    public void A_model_already_at_or_above_the_target_is_unchanged_byte_for_byte(long opset)
    {
        using var temp = new TempDirectory();
        var path = ModelBuilder.Mlp(irVersion: 7, opset: opset).Save(temp.File("mlp.onnx"));
        var bytes = File.ReadAllBytes(path);
        var model = OnnxModel.Load(path);

        var result = new OpsetUpgradePass(13).Run(new PassContext(model));

        Assert.Empty(result.Counters);
        Assert.Contains("unchanged", result.Summary, StringComparison.Ordinal);
        Assert.Equal(bytes, model.Proto.ToByteArray());
    }

    [Fact]
    public void The_target_must_be_an_opset_the_pass_knows()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OpsetUpgradePass(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OpsetUpgradePass(OpsetUpgradePass.MaximumTargetOpset + 1));
        Assert.Equal("opset-upgrade", new OpsetUpgradePass().Name);
        Assert.Equal(13, new OpsetUpgradePass().TargetOpset);
    }

    [Theory]
    [InlineData(8, 3)]
    [InlineData(13, 7)]
    [InlineData(15, 8)]
    [InlineData(19, 9)]
    [InlineData(21, 10)]
    [InlineData(23, 11)]
    public void The_IR_version_is_raised_to_what_the_target_needs(long target, long ir)
    {
        using var temp = new TempDirectory();
        var path = ModelBuilder.Mlp(irVersion: 3, opset: 7).Save(temp.File("mlp.onnx"));
        var model = OnnxModel.Load(path);

        new OpsetUpgradePass(target).Run(new PassContext(model));

        ModelValidator.Validate(model);
        Assert.Equal(ir, model.IrVersion);
        Assert.Equal(target, model.GetOpsetVersion("ai.onnx"));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private static (OnnxModel Model, PassResult Result) UpgradeAndCompare(ModelBuilder builder, IReadOnlyDictionary<string, (float[] Data, long[] Shape)> inputs, long target = 13)
    {
        using var temp = new TempDirectory();
        var source = builder.Save(temp.File("old.onnx"));
        var expected = Ort.Run(source, inputs);
        var model = OnnxModel.Load(source);

        var result = new OpsetUpgradePass(target).Run(new PassContext(model));

        ModelValidator.Validate(model);
        Assert.Equal(target, model.GetOpsetVersion(""));
        Assert.True(model.IrVersion >= OpsetUpgradePass.RequiredIrVersion(target), $"IR {model.IrVersion} is too old for opset {target}");
        var upgraded = temp.File("new.onnx");
        model.Save(upgraded);
        var actual = Ort.Run(upgraded, inputs);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            AssertClose(expected[i], actual[i]);
        }

        return (model, result);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static DeepSeekException AssertNotUpgradable(ModelBuilder builder)
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(builder.Save(temp.File("model.onnx")));
        var before = model.Proto.ToByteArray();
        var e = Assert.Throws<DeepSeekException>(() => new OpsetUpgradePass().Run(new PassContext(model)));
        Assert.Equal("DSB0060", e.Id);
        Assert.Matches(@"^error DSB0060: .+: .+ — .+$", e.ToErrorLine());
        Assert.Equal(before, model.Proto.ToByteArray());
        return e;
    }

    private static Dictionary<string, (float[], long[])> Input(string name, params long[] shape) => Input(name, shape, positive: false);

    private static Dictionary<string, (float[], long[])> Input(string name, long d0, long d1, long d2, bool positive) => Input(name, [d0, d1, d2], positive);

    private static Dictionary<string, (float[], long[])> Input(string name, long[] shape, bool positive)
    {
        var data = ModelBuilder.Random((int)shape.Aggregate(1L, (a, b) => a * b), 7, 2f);
        if (positive)
        {
            data = data.Select(v => (Math.Abs(v) * 0.5f) + 0.1f).ToArray();
        }

        return new Dictionary<string, (float[], long[])> { [name] = (data, shape) };
    }

    private static NodeProto NodeOf(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = op.ToLowerInvariant() + "_sub" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static TensorProto Int64Tensor(string name, long[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    private static long[] Int64s(TensorProto tensor)
    {
        var span = tensor.RawData.Span;
        var values = new long[span.Length / 8];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(8 * i)..]);
        }

        return values;
    }

    private static string? StringAttribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.S.ToStringUtf8();

    private static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Str(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static AttributeProto Floats(string name, params float[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.AddRange(values);
        return attribute;
    }
}
