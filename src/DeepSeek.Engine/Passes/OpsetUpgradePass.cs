using System.Buffers.Binary;
using System.Globalization;
using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using Google.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// Upgrades the default ONNX domain (<c>""</c> / <c>ai.onnx</c>) of a model, main graph and subgraphs, from its opset to a
/// target opset (13 by default: per-channel QuantizeLinear/DequantizeLinear need it), following the ONNX operator changelog.
/// </summary>
/// <remarks>
/// <para>
/// Every operator the pass knows has its history: the opset versions at which a new version of it appeared (ONNX
/// <c>onnx/defs/operator_sets.h</c>). For each node, each version between the node's current version and the target is
/// either compatible for the forms a model can hold (only types were added, a clarification, a new attribute whose default
/// keeps the old behaviour — the steps the ONNX version converter registers as <c>CompatibleAdapter</c>), or a rewrite:
/// </para>
/// <list type="bullet">
/// <item>Upsample (9: <c>scales</c> attribute to an input; 10: deprecated, becomes Resize) and Resize (11: an empty
/// <c>roi</c> input, <c>coordinate_transformation_mode</c> <c>asymmetric</c>, and for nearest <c>nearest_mode</c>
/// <c>floor</c>, or <c>ceil</c> when every scale shrinks — what Upsample and Resize-10 computed).</item>
/// <item>Slice (10), TopK (10), Clip (11), Pad (11), Split (13), Squeeze/Unsqueeze/ReduceSum (13), the other Reduce
/// operators (18): attributes to int64 (or typed scalar) initializers read as inputs; Split (18) gets
/// <c>num_outputs</c>.</item>
/// <item>Softmax, LogSoftmax, Hardmax (13): "coerce to 2-D at axis" became "along axis"; unless the axis is the last one,
/// the node becomes Shape + Flatten(axis) + op(axis=-1) + Reshape, as the ONNX converter does.</item>
/// <item>Dropout (10, 12): replaced by Identity, which is what Dropout computes at inference.</item>
/// <item>BatchNormalization (9: <c>spatial</c> removed, 1 is dropped and 0 refused; 14: only the first output).</item>
/// <item>Scatter (11: becomes ScatterElements), RoiAlign (16: the old <c>output_half_pixel</c> made explicit),
/// GridSample (20: modes renamed).</item>
/// </list>
/// <para>
/// An operator the pass does not know, one that did not exist at the model's opset, or a version step without a faithful
/// rewrite (Scan-9, GroupNormalization-21, DFT-20) is a <see cref="DiagnosticIds.OperatorNotUpgradable"/> error naming the
/// node, and the model is left as it was. The default-domain opset import becomes the target, and the IR version is raised
/// to what the target opset needs. Nodes of other domains and model-local functions are not touched.
/// </para>
/// </remarks>
public sealed class OpsetUpgradePass : IGraphPass
{
    /// <summary>The oldest default-domain opset the pass upgrades from (opset 7 brought numpy broadcasting and dropped <c>is_test</c>).</summary>
    public const long MinimumSourceOpset = 7;

    /// <summary>The newest opset the pass upgrades to.</summary>
    public const long MaximumTargetOpset = 23;

    private static readonly Dictionary<string, Step[]> Histories = BuildHistories();

    /// <summary>Creates the pass for <paramref name="targetOpset"/> (8 to <see cref="MaximumTargetOpset"/>).</summary>
    public OpsetUpgradePass(long targetOpset = 13)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetOpset, MinimumSourceOpset + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetOpset, MaximumTargetOpset);
        TargetOpset = targetOpset;
    }

    /// <inheritdoc/>
    public string Name => "opset-upgrade";

    /// <summary>The default-domain opset the model is upgraded to.</summary>
    public long TargetOpset { get; }

    /// <summary>The lowest IR version a model importing <paramref name="opset"/> of the default domain may declare (the ONNX release table).</summary>
    public static long RequiredIrVersion(long opset) => opset switch
    {
        <= 8 => 3,
        9 => 4,
        10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    /// <inheritdoc/>
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proto = context.Model.Proto;
        var imports = proto.OpsetImport.Where(o => OnnxModel.NormalizeDomain(o.Domain).Length == 0).ToList();
        if (imports.Count == 0)
        {
            return PassResult.Of(Name, "the model imports no default-domain opset; nothing to upgrade");
        }

        var from = imports.Max(o => o.Version);
        if (from >= TargetOpset)
        {
            return PassResult.Of(Name, $"already at opset {from} (target {TargetOpset}); unchanged");
        }

        if (from < MinimumSourceOpset)
        {
            throw new DeepSeekException(DiagnosticIds.OperatorNotUpgradable, context.File,
                $"the model imports opset {from} of the default domain; upgrades to opset {TargetOpset} start at opset {MinimumSourceOpset}");
        }

        var original = proto.Graph
            ?? throw new DeepSeekException(DiagnosticIds.MissingGraph, context.File, "the model has no graph");

        // Work on a copy (tensor bytes are shared, not copied) so that a node that cannot be upgraded leaves the model as it was.
        var work = original.Clone();
        var upgrade = new Upgrade(context.File, from, TargetOpset, work);
        upgrade.UpgradeGraph(work, "main", parent: null);

        original.Node.Clear();
        original.Node.Add(work.Node);
        original.Initializer.Clear();
        original.Initializer.Add(work.Initializer);
        original.Input.Clear();
        original.Input.Add(work.Input);
        original.ValueInfo.Clear();
        original.ValueInfo.Add(work.ValueInfo);

        foreach (var import in imports)
        {
            import.Version = TargetOpset;
        }

        var irBefore = proto.IrVersion;
        var irRequired = RequiredIrVersion(TargetOpset);
        if (proto.IrVersion < irRequired)
        {
            proto.IrVersion = irRequired;
        }

        var rewritten = upgrade.Counters.Values.Sum();
        var summary = $"opset {from} → {TargetOpset}" + (irBefore != proto.IrVersion ? $", IR {irBefore} → {proto.IrVersion}" : "")
            + $": {rewritten} node(s) rewritten"
            + (rewritten > 0 ? " (" + string.Join(", ", upgrade.Counters.Select(c => $"{c.Key} {c.Value}")) + ")" : "")
            + (upgrade.DropoutsReplaced > 0 ? $"; {upgrade.DropoutsReplaced} Dropout replaced by Identity (what Dropout computes at inference)" : "");
        context.Log.Report($"{Name}: {summary}");
        return new PassResult(Name, summary, new SortedDictionary<string, long>(upgrade.Counters, StringComparer.Ordinal));
    }

    // ---- The operator histories -------------------------------------------------------------------------------------

    /// <summary>One version of an operator: compatible (no handler, no reason), a rewrite, or a step without a faithful rewrite.</summary>
    private sealed record Step(int Version, Rewrite? Handler = null, string? Unsupported = null);

    /// <summary>Rewrites a node to the step's version; true when it changed the node. It may change the op type.</summary>
    private delegate bool Rewrite(Upgrade upgrade, Scope scope, NodeProto node);

    /// <summary>
    /// Since-versions of the default-domain operators up to opset 23 (onnx/defs/operator_sets.h) and the steps that need a
    /// rewrite. Versions without a handler are compatible: the ONNX version converter registers them as
    /// <c>CompatibleAdapter</c> (or as setting an attribute to its default), for types, negative axes, clarifications or new
    /// attributes and optional inputs whose defaults keep the old behaviour.
    /// </summary>
    private static Dictionary<string, Step[]> BuildHistories()
    {
        var histories = new Dictionary<string, Step[]>(StringComparer.Ordinal);

        void Op(string names, int[] versions, params (int Version, Rewrite Handler)[] rewrites)
        {
            if (rewrites.Any(r => !versions.Contains(r.Version)))
            {
                throw new InvalidOperationException($"{names}: a rewrite for a version the operator does not have");
            }

            foreach (var name in names.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                histories.Add(name, versions.Select(v => new Step(v, rewrites.FirstOrDefault(r => r.Version == v).Handler)).ToArray());
            }
        }

        void Unsupported(string name, int[] versions, int version, string reason)
            => histories.Add(name, versions.Select(v => new Step(v, Unsupported: v == version ? reason : null)).ToArray());

        // Element-wise and activations.
        Op("Abs Ceil Floor Exp Log Neg Reciprocal Sqrt Sigmoid Tanh", [1, 6, 13]);
        Op("Relu", [1, 6, 13, 14]);
        Op("Add Sub Mul Div", [1, 6, 7, 13, 14]);
        Op("Pow", [1, 7, 12, 13, 15]);
        Op("Acos Asin Atan Cos Sin Tan", [7, 22]);
        Op("Acosh Asinh Atanh Cosh Sinh", [9, 22]);
        Op("Elu HardSigmoid Selu", [1, 6, 22]);
        Op("Softplus Softsign", [1, 22]);
        Op("LeakyRelu", [1, 6, 16]);
        Op("PRelu", [1, 6, 7, 9, 16]);
        Op("ThresholdedRelu", [10, 22]);
        Op("HardSwish", [14, 22]);
        Op("Mish", [18, 22]);
        Op("Celu", [12]);
        Op("Gelu", [20]);
        Op("Shrink", [9]);
        Op("Erf Sign", [9, 13]);
        Op("IsNaN", [9, 13, 20]);
        Op("IsInf", [10, 20]);
        Op("Mod", [10, 13]);
        Op("Round Det", [11, 22]);
        Op("BitShift", [11]);
        Op("And Or Xor", [1, 7]);
        Op("Not", [1]);
        Op("Equal", [1, 7, 11, 13, 19]);
        Op("Greater Less", [1, 7, 9, 13]);
        Op("GreaterOrEqual LessOrEqual", [12, 16]);
        Op("Where", [9, 16]);
        Op("Max Min", [1, 6, 8, 12, 13]);
        Op("Mean Sum", [1, 6, 8, 13]);
        Op("Clip", [1, 6, 11, 12, 13], (11, ClipAttributesToInputs));

        // Linear algebra, convolution, pooling, normalization.
        Op("MatMul", [1, 9, 13]);
        Op("Gemm", [1, 6, 7, 9, 11, 13]);
        Op("MatMulInteger ConvInteger QLinearConv", [10]);
        Op("QLinearMatMul", [10, 21]);
        Op("Einsum", [12]);
        Op("Conv ConvTranspose", [1, 11, 22]);
        Op("MaxPool", [1, 8, 10, 11, 12, 22]);
        Op("AveragePool", [1, 7, 10, 11, 19, 22]);
        Op("LpPool", [1, 2, 11, 18, 22]);
        Op("GlobalAveragePool GlobalMaxPool MaxRoiPool LpNormalization", [1, 22]);
        Op("GlobalLpPool", [1, 2, 22]);
        Op("MaxUnpool", [9, 11, 22]);
        Op("InstanceNormalization", [1, 6, 22]);
        Op("LRN", [1, 13]);
        Op("MeanVarianceNormalization", [9, 13]);
        Op("LayerNormalization", [17]);
        Op("BatchNormalization", [1, 6, 7, 9, 14, 15], (9, BatchNormalizationWithoutSpatial), (14, BatchNormalizationInferenceOutputs));
        Unsupported("GroupNormalization", [18, 21], 21, "changed scale and bias from one value per group to one per channel");
        Op("Dropout", [1, 6, 7, 10, 12, 13, 22], (10, DropoutToIdentity), (12, DropoutToIdentity));
        Op("Softmax LogSoftmax Hardmax", [1, 11, 13], (13, SoftmaxAlongAxis));
        Op("RNN LSTM", [1, 7, 14, 22]);
        Op("GRU", [1, 3, 7, 14, 22]);

        // Shapes and data movement.
        Op("Identity", [1, 13, 14, 16, 19, 21, 23]);
        Op("Cast", [1, 6, 9, 13, 19, 21, 23]);
        Op("CastLike", [15, 19, 21, 23]);
        Op("Constant", [1, 9, 11, 12, 13, 19, 21, 23]);
        Op("ConstantOfShape", [9, 20, 21, 23]);
        Op("Shape", [1, 13, 15, 19, 21, 23]);
        Op("Size", [1, 13, 19, 21, 23]);
        Op("Reshape", [1, 5, 13, 14, 19, 21, 23]);
        Op("Flatten", [1, 9, 11, 13, 21, 23]);
        Op("Transpose", [1, 13, 21, 23]);
        Op("Squeeze Unsqueeze", [1, 11, 13, 21, 23], (13, AxesAttributeToInput));
        Op("Concat", [1, 4, 11, 13]);
        Op("Split", [1, 2, 11, 13, 18], (13, SplitAttributeToInput), (18, SplitNumOutputs));
        Op("Slice", [1, 10, 11, 13], (10, SliceAttributesToInputs));
        Op("Pad", [1, 2, 11, 13, 18, 19, 21, 23], (11, PadAttributesToInputs));
        Op("Tile", [1, 6, 13]);
        Op("Expand", [8, 13]);
        Op("Gather", [1, 11, 13]);
        Op("GatherElements", [11, 13]);
        Op("GatherND", [11, 12, 13]);
        Op("ScatterElements ScatterND", [11, 13, 16, 18]);
        Op("Scatter", [9, 11], (11, ScatterToScatterElements));
        Op("DepthToSpace", [1, 11, 13]);
        Op("SpaceToDepth", [1, 13]);
        Op("Compress", [9, 11]);
        Op("OneHot", [9, 11]);
        Op("NonZero", [9, 13]);
        Op("EyeLike", [9, 22]);
        Op("Range Unique", [11]);
        Op("CumSum", [11, 14]);
        Op("Trilu", [14]);
        Op("ReverseSequence", [10]);
        Op("TopK", [1, 10, 11], (10, TopKAttributeToInput));
        Op("ArgMax ArgMin", [1, 11, 12, 13]);
        Op("ReduceSum", [1, 11, 13], (13, AxesAttributeToInput));
        Op("ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMean ReduceProd ReduceSumSquare", [1, 11, 13, 18], (18, AxesAttributeToInput));
        Op("ReduceMax ReduceMin", [1, 11, 12, 13, 18, 20], (18, AxesAttributeToInput));
        Op("Upsample", [1, 7, 9, 10], (9, UpsampleScalesToInput), (10, UpsampleToResize));
        Op("Resize", [10, 11, 13, 18, 19], (11, ResizeWithRoiAndAsymmetricCoordinates));
        Op("GridSample", [16, 20, 22], (20, GridSampleModeNames));
        Op("RoiAlign", [10, 16, 22], (16, RoiAlignOutputHalfPixel));
        Op("NonMaxSuppression", [10, 11]);

        // Quantization.
        Op("QuantizeLinear DequantizeLinear", [10, 13, 19, 21, 23]);
        Op("DynamicQuantizeLinear", [11]);

        // Control flow (their subgraphs are upgraded too) and sequences.
        Op("If Loop", [1, 11, 13, 16, 19, 21, 23]);
        Unsupported("Scan", [8, 9, 11, 16, 19, 21, 23], 9, "removed the batch dimension and the sequence_lens input, which has no automatic rewrite");
        Op("SequenceAt SequenceConstruct SequenceEmpty SequenceErase SequenceInsert SequenceLength SplitToSequence ConcatFromSequence", [11]);

        // Random numbers.
        Op("RandomNormal RandomUniform RandomNormalLike RandomUniformLike", [1, 22]);
        Op("Multinomial", [7, 22]);
        Op("Bernoulli", [15, 22]);

        Unsupported("DFT", [17, 20], 20, "moved 'axis' from an attribute to an input with another default");
        return histories;
    }

    // ---- Rewrites ---------------------------------------------------------------------------------------------------

    /// <summary>Clip-11: <c>min</c>/<c>max</c> attributes become optional scalar inputs of the input's type; absent ones stay absent (no bound).</summary>
    private static bool ClipAttributesToInputs(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var min = Attribute(node, "min");
        var max = Attribute(node, "max");
        if (min is null && max is null)
        {
            return false;
        }

        var type = Upgrade.ElementType(scope, node.Input[0], node.Output[0]);
        KeepInputs(node, 1);
        node.Input.Add(min is null ? "" : upgrade.AddScalar(scope, node, "min", min.F, type));
        if (max is not null)
        {
            node.Input.Add(upgrade.AddScalar(scope, node, "max", max.F, type));
        }

        RemoveAttributes(node, "min", "max");
        return true;
    }

    /// <summary>Slice-10: <c>starts</c>, <c>ends</c> and <c>axes</c> become int64 inputs (steps stay absent: 1).</summary>
    private static bool SliceAttributesToInputs(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var starts = Attribute(node, "starts") ?? throw upgrade.Fail(scope, node, "Slice-1 has no 'starts' attribute");
        var ends = Attribute(node, "ends") ?? throw upgrade.Fail(scope, node, "Slice-1 has no 'ends' attribute");
        var axes = Attribute(node, "axes");
        KeepInputs(node, 1);
        node.Input.Add(upgrade.AddInt64(scope, node, "starts", [.. starts.Ints]));
        node.Input.Add(upgrade.AddInt64(scope, node, "ends", [.. ends.Ints]));
        if (axes is not null)
        {
            node.Input.Add(upgrade.AddInt64(scope, node, "axes", [.. axes.Ints]));
        }

        RemoveAttributes(node, "starts", "ends", "axes");
        return true;
    }

    /// <summary>Squeeze/Unsqueeze/ReduceSum-13 and the other Reduce ops at 18: <c>axes</c> becomes an int64 input; no axes stays no input.</summary>
    private static bool AxesAttributeToInput(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var axes = Attribute(node, "axes");
        if (axes is null)
        {
            return node.OpType == "Unsqueeze"
                ? throw upgrade.Fail(scope, node, "Unsqueeze has no 'axes' attribute")
                : false;
        }

        KeepInputs(node, 1);
        if (axes.Ints.Count > 0 || node.OpType == "Unsqueeze")
        {
            node.Input.Add(upgrade.AddInt64(scope, node, "axes", [.. axes.Ints]));
        }

        RemoveAttributes(node, "axes");
        return true;
    }

    /// <summary>Split-13: the <c>split</c> attribute becomes an int64 input.</summary>
    private static bool SplitAttributeToInput(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var split = Attribute(node, "split");
        if (split is null)
        {
            return false;
        }

        KeepInputs(node, 1);
        node.Input.Add(upgrade.AddInt64(scope, node, "split", [.. split.Ints]));
        RemoveAttributes(node, "split");
        return true;
    }

    /// <summary>Split-18: without a <c>split</c> input, <c>num_outputs</c> must say how many equal parts (the node's outputs).</summary>
    private static bool SplitNumOutputs(Upgrade upgrade, Scope scope, NodeProto node)
    {
        if (Attribute(node, "num_outputs") is not null || (node.Input.Count > 1 && node.Input[1].Length > 0))
        {
            return false;
        }

        SetInt(node, "num_outputs", node.Output.Count);
        return true;
    }

    /// <summary>TopK-10: the <c>k</c> attribute becomes a one-element int64 input.</summary>
    private static bool TopKAttributeToInput(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var k = Attribute(node, "k") ?? throw upgrade.Fail(scope, node, "TopK-1 has no 'k' attribute");
        KeepInputs(node, 1);
        node.Input.Add(upgrade.AddInt64(scope, node, "k", [k.I]));
        RemoveAttributes(node, "k");
        return true;
    }

    /// <summary>Pad-11: <c>pads</c> becomes an int64 input and, in constant mode, <c>value</c> a scalar input of the data's type.</summary>
    private static bool PadAttributesToInputs(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var pads = Attribute(node, "pads") ?? throw upgrade.Fail(scope, node, "Pad-2 has no 'pads' attribute");
        var mode = Attribute(node, "mode")?.S.ToStringUtf8() ?? "constant";
        var value = Attribute(node, "value");
        KeepInputs(node, 1);
        node.Input.Add(upgrade.AddInt64(scope, node, "pads", [.. pads.Ints]));
        if (mode == "constant" && value is not null && BitConverter.SingleToInt32Bits(value.F) != 0)
        {
            node.Input.Add(upgrade.AddScalar(scope, node, "value", value.F, Upgrade.ElementType(scope, node.Input[0], node.Output[0])));
        }

        RemoveAttributes(node, "pads", "value");
        return true;
    }

    /// <summary>Dropout (10: the mask's type changed; 12: <c>ratio</c> became an input): replaced by Identity, its inference result.</summary>
    private static bool DropoutToIdentity(Upgrade upgrade, Scope scope, NodeProto node)
    {
        if (node.Output.Count > 1 && node.Output[1].Length > 0 && Upgrade.IsUsed(scope, node.Output[1]))
        {
            throw upgrade.Fail(scope, node,
                $"its mask output {Names.Quote(node.Output[1])} is used; Dropout becomes Identity at inference, which has no mask");
        }

        node.OpType = "Identity";
        node.Attribute.Clear();
        KeepInputs(node, 1);
        Upgrade.KeepOutputs(scope, node, 1);
        upgrade.DropoutsReplaced++;
        return true;
    }

    /// <summary>BatchNormalization-9 removed <c>spatial</c>: 1 (the only behaviour left) is dropped, 0 has no equivalent.</summary>
    private static bool BatchNormalizationWithoutSpatial(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var spatial = Attribute(node, "spatial");
        if (spatial is null)
        {
            return false;
        }

        if (spatial.I != 1)
        {
            throw upgrade.Fail(scope, node, $"spatial={spatial.I} (statistics per activation) was removed at opset 9 and has no equivalent");
        }

        RemoveAttributes(node, "spatial");
        return true;
    }

    /// <summary>BatchNormalization-14 has its extra outputs (running statistics) only in training mode: unused ones are dropped.</summary>
    private static bool BatchNormalizationInferenceOutputs(Upgrade upgrade, Scope scope, NodeProto node)
    {
        if (node.Output.Count <= 1)
        {
            return false;
        }

        for (var i = 1; i < node.Output.Count; i++)
        {
            if (node.Output[i].Length > 0 && Upgrade.IsUsed(scope, node.Output[i]))
            {
                throw upgrade.Fail(scope, node,
                    $"its training output {Names.Quote(node.Output[i])} is used; from opset 14 BatchNormalization has it only in training mode");
            }
        }

        Upgrade.KeepOutputs(scope, node, 1);
        return true;
    }

    /// <summary>
    /// Softmax/LogSoftmax/Hardmax-13 work along <c>axis</c> (default -1) instead of on the input coerced to 2-D at <c>axis</c>
    /// (default 1). The same when the axis is the last one; otherwise Shape + Flatten(axis) + op(axis=-1) + Reshape.
    /// </summary>
    private static bool SoftmaxAlongAxis(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var axis = Attribute(node, "axis")?.I ?? 1;
        var rank = Upgrade.Rank(scope, node.Input[0]) ?? Upgrade.Rank(scope, node.Output[0]);
        if (rank is { } r && (axis < 0 ? axis + r : axis) == r - 1)
        {
            SetInt(node, "axis", -1);
            return true;
        }

        var input = node.Input[0];
        var output = node.Output[0];
        var stem = Stem(node);
        var shape = new NodeProto { OpType = "Shape", Name = upgrade.Fresh(scope, stem + "_shape") };
        shape.Input.Add(input);
        shape.Output.Add(upgrade.Fresh(scope, stem + "_input_shape"));
        var flatten = new NodeProto { OpType = "Flatten", Name = upgrade.Fresh(scope, stem + "_flatten") };
        flatten.Input.Add(input);
        flatten.Output.Add(upgrade.Fresh(scope, stem + "_input_2d"));
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis });
        var reshape = new NodeProto { OpType = "Reshape", Name = upgrade.Fresh(scope, stem + "_reshape") };
        reshape.Input.Add(upgrade.Fresh(scope, stem + "_output_2d"));
        reshape.Input.Add(shape.Output[0]);
        reshape.Output.Add(output);
        if (upgrade.Target >= 14)
        {
            // A 0 in the shape is a real 0, not "copy the dimension" (the input may hold empty dimensions).
            reshape.Attribute.Add(new AttributeProto { Name = "allowzero", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        }

        node.Input[0] = flatten.Output[0];
        node.Output[0] = reshape.Input[0];
        SetInt(node, "axis", -1);

        var index = IndexOf(scope.Graph, node);
        scope.Graph.Node.Insert(index + 1, reshape);
        scope.Graph.Node.Insert(index, flatten);
        scope.Graph.Node.Insert(index, shape);
        scope.Editor.Invalidate();
        return true;
    }

    /// <summary>Upsample-9: the <c>scales</c> attribute becomes a float input.</summary>
    private static bool UpsampleScalesToInput(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var scales = Attribute(node, "scales") ?? throw upgrade.Fail(scope, node, "Upsample-7 has no 'scales' attribute");
        KeepInputs(node, 1);
        node.Input.Add(upgrade.AddFloats(scope, node, "scales", [.. scales.Floats]));
        RemoveAttributes(node, "scales");
        return true;
    }

    /// <summary>Upsample-10 is deprecated: the node becomes the Resize-10 it is equal to (same inputs, same mode).</summary>
    private static bool UpsampleToResize(Upgrade upgrade, Scope scope, NodeProto node)
    {
        if (node.Input.Count < 2 || node.Input[1].Length == 0)
        {
            throw upgrade.Fail(scope, node, "Upsample-9 has no 'scales' input");
        }

        var mode = Attribute(node, "mode");
        node.OpType = "Resize";
        node.Attribute.Clear();
        if (mode is not null)
        {
            node.Attribute.Add(mode);
        }

        KeepInputs(node, 2);
        return true;
    }

    /// <summary>
    /// Resize-11: inputs become (X, roi, scales) with an empty roi, and the coordinate mapping that Resize-10 and Upsample used
    /// is made explicit (the defaults became half_pixel and round_prefer_floor): <c>asymmetric</c>, and for nearest
    /// <c>floor</c> when upsampling (<c>ceil</c> when every scale is at most 1, as ONNX Runtime computed Resize-10).
    /// </summary>
    private static bool ResizeWithRoiAndAsymmetricCoordinates(Upgrade upgrade, Scope scope, NodeProto node)
    {
        if (node.Input.Count < 2 || node.Input[1].Length == 0)
        {
            throw upgrade.Fail(scope, node, "Resize-10 has no 'scales' input");
        }

        var scales = node.Input[1];
        var roi = upgrade.Target >= 13 ? "" : upgrade.AddFloats(scope, node, "roi", []);
        KeepInputs(node, 1);
        node.Input.Add(roi);
        node.Input.Add(scales);
        SetString(node, "coordinate_transformation_mode", "asymmetric");
        if ((Attribute(node, "mode")?.S.ToStringUtf8() ?? "nearest") == "nearest")
        {
            var values = ReadFloats(scope.Editor.ConstantTensor(scales));
            var down = values is not null && values.Any(s => s < 1f);
            var up = values is not null && values.Any(s => s > 1f);
            if (down && up)
            {
                throw upgrade.Fail(scope, node,
                    "nearest resizing that shrinks some axes and grows others rounds per axis before opset 11, which one nearest_mode cannot express");
            }

            SetString(node, "nearest_mode", down ? "ceil" : "floor");
        }

        return true;
    }

    /// <summary>Scatter was deprecated at 11 for ScatterElements, its equal.</summary>
    private static bool ScatterToScatterElements(Upgrade upgrade, Scope scope, NodeProto node)
    {
        node.OpType = "ScatterElements";
        return true;
    }

    /// <summary>RoiAlign-16 added <c>coordinate_transformation_mode</c> (default half_pixel); before, it computed output_half_pixel.</summary>
    private static bool RoiAlignOutputHalfPixel(Upgrade upgrade, Scope scope, NodeProto node)
    {
        if (Attribute(node, "coordinate_transformation_mode") is not null)
        {
            return false;
        }

        SetString(node, "coordinate_transformation_mode", "output_half_pixel");
        return true;
    }

    /// <summary>GridSample-20 renamed its modes: bilinear is linear, bicubic is cubic.</summary>
    private static bool GridSampleModeNames(Upgrade upgrade, Scope scope, NodeProto node)
    {
        var mode = Attribute(node, "mode")?.S.ToStringUtf8();
        var renamed = mode switch { "bilinear" => "linear", "bicubic" => "cubic", _ => null };
        if (renamed is null)
        {
            return false;
        }

        SetString(node, "mode", renamed);
        return true;
    }

    // ---- Node helpers -----------------------------------------------------------------------------------------------

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static void RemoveAttributes(NodeProto node, params string[] names)
    {
        for (var i = node.Attribute.Count - 1; i >= 0; i--)
        {
            if (names.Contains(node.Attribute[i].Name, StringComparer.Ordinal))
            {
                node.Attribute.RemoveAt(i);
            }
        }
    }

    private static void SetInt(NodeProto node, string name, long value)
    {
        RemoveAttributes(node, name);
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
    }

    private static void SetString(NodeProto node, string name, string value)
    {
        RemoveAttributes(node, name);
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });
    }

    private static void KeepInputs(NodeProto node, int count)
    {
        while (node.Input.Count > count)
        {
            node.Input.RemoveAt(node.Input.Count - 1);
        }
    }

    private static string Stem(NodeProto node) => node.Name.Length > 0 ? node.Name : node.OpType.ToLowerInvariant();

    private static int IndexOf(GraphProto graph, NodeProto node)
    {
        for (var i = 0; i < graph.Node.Count; i++)
        {
            if (ReferenceEquals(graph.Node[i], node))
            {
                return i;
            }
        }

        throw new InvalidOperationException("the node is not in its graph; this is a bug in the pass");
    }

    private static float[]? ReadFloats(TensorProto? tensor)
    {
        if (tensor is null || tensor.DataType != (int)TensorProto.Types.DataType.Float || tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return null;
        }

        if (tensor.RawData.Length > 0)
        {
            var bytes = tensor.RawData.Span;
            var values = new float[bytes.Length / 4];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
            }

            return values;
        }

        return [.. tensor.FloatData];
    }

    // ---- One run ----------------------------------------------------------------------------------------------------

    /// <summary>A graph being upgraded, with the graphs around it (a subgraph reads values of its enclosing graphs).</summary>
    private sealed class Scope(GraphProto graph, string path, Scope? parent)
    {
        public GraphProto Graph { get; } = graph;

        public string Path { get; } = path;

        public Scope? Parent { get; } = parent;

        public GraphEditor Editor { get; } = new(graph);
    }

    /// <summary>The state of one run: the versions, the names taken anywhere in the model, the counters.</summary>
    private sealed class Upgrade
    {
        private readonly string file;
        private readonly long from;
        private readonly HashSet<string> names = new(StringComparer.Ordinal);

        public Upgrade(string file, long from, long target, GraphProto main)
        {
            this.file = file;
            this.from = from;
            Target = target;
            CollectNames(main);
        }

        public long Target { get; }

        public SortedDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

        public int DropoutsReplaced { get; set; }

        public void UpgradeGraph(GraphProto graph, string path, Scope? parent)
        {
            var scope = new Scope(graph, path, parent);
            var nodes = graph.Node.ToList();
            for (var i = 0; i < nodes.Count; i++)
            {
                var node = nodes[i];
                var label = node.Name.Length > 0 ? node.Name : $"{node.OpType}#{i}";
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is not null)
                    {
                        UpgradeGraph(attribute.G, $"{path}/{label}.{attribute.Name}", scope);
                    }

                    for (var g = 0; g < attribute.Graphs.Count; g++)
                    {
                        UpgradeGraph(attribute.Graphs[g], $"{path}/{label}.{attribute.Name}[{g}]", scope);
                    }
                }

                if (OnnxModel.NormalizeDomain(node.Domain).Length == 0)
                {
                    UpgradeNode(scope, node);
                }
            }
        }

        private void UpgradeNode(Scope scope, NodeProto node)
        {
            var opType = node.OpType;
            if (!Histories.TryGetValue(opType, out var history))
            {
                throw Fail(scope, node, $"{Names.Quote(opType)} is not a default-domain operator this pass knows");
            }

            if (history[0].Version > from)
            {
                throw Fail(scope, node, $"{Names.Quote(opType)} does not exist at opset {from} (it appeared at opset {history[0].Version})");
            }

            // The version the node is at: the newest since-version not after the model's opset.
            long current = history.Last(s => s.Version <= from).Version;
            var changed = false;
            if (opType == "Upsample" && current >= 10)
            {
                // Upsample-10 is Upsample-9 deprecated; it goes on as the Resize-10 it equals.
                CurrentStep = 10;
                changed = UpsampleToResize(this, scope, node);
                CurrentStep = null;
            }

            while (true)
            {
                var op = node.OpType;
                history = Histories[op];
                var next = history.FirstOrDefault(s => s.Version > current && s.Version <= Target);
                if (next is null)
                {
                    break;
                }

                CurrentStep = next.Version;
                if (next.Unsupported is not null)
                {
                    throw Fail(scope, node, $"{op}-{next.Version} {next.Unsupported}");
                }

                if (next.Handler is not null)
                {
                    changed |= next.Handler(this, scope, node);
                }

                CurrentStep = null;

                // A rewrite that turned the node into another operator (Upsample → Resize, Dropout → Identity...) goes on with
                // that operator's history from the same version.
                current = next.Version;
            }

            if (changed)
            {
                Counters[opType] = Counters.GetValueOrDefault(opType) + 1;
            }
        }

        /// <summary>The version step being applied, for messages.</summary>
        private int? CurrentStep { get; set; }

        public DeepSeekException Fail(Scope scope, NodeProto node, string reason)
        {
            var where = scope.Path == "main" ? "" : $"in subgraph {Names.Quote(scope.Path)}, ";
            var which = node.Name.Length > 0 ? $"node {Names.Quote(node.Name)}" : $"node {IndexOf(scope.Graph, node)}";
            var step = CurrentStep is { } v ? $" (at opset {v})" : "";
            return new DeepSeekException(DiagnosticIds.OperatorNotUpgradable, file,
                $"{where}{which} ({Names.Quote(node.OpType)}) cannot be upgraded from opset {from} to {Target}{step}: {reason}");
        }

        /// <summary>A value or node name no graph of the model uses yet, built from <paramref name="hint"/>.</summary>
        public string Fresh(Scope scope, string hint)
        {
            while (true)
            {
                var name = scope.Editor.UniqueName(hint);
                if (names.Add(name))
                {
                    return name;
                }
            }
        }

        public string AddInt64(Scope scope, NodeProto node, string what, long[] values)
        {
            var bytes = new byte[8 * values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
            }

            return AddInitializer(scope, node, what, TensorProto.Types.DataType.Int64, [values.Length], bytes);
        }

        public string AddFloats(Scope scope, NodeProto node, string what, float[] values)
        {
            var bytes = new byte[4 * values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
            }

            return AddInitializer(scope, node, what, TensorProto.Types.DataType.Float, [values.Length], bytes);
        }

        /// <summary>A scalar initializer of <paramref name="dataType"/> (float, double or float16: the types of Clip-6 and Pad-2).</summary>
        public string AddScalar(Scope scope, NodeProto node, string what, float value, int dataType)
        {
            byte[] bytes;
            switch ((TensorProto.Types.DataType)dataType)
            {
                case TensorProto.Types.DataType.Double:
                    bytes = new byte[8];
                    BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
                    break;
                case TensorProto.Types.DataType.Float16:
                    bytes = new byte[2];
                    BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)value);
                    break;
                case TensorProto.Types.DataType.Float:
                    bytes = new byte[4];
                    BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
                    break;
                default:
                    throw Fail(scope, node,
                        $"its input has data type {dataType.ToString(CultureInfo.InvariantCulture)}, where {node.OpType} before opset 11 takes float16, float or double");
            }

            return AddInitializer(scope, node, what, (TensorProto.Types.DataType)dataType, [], bytes);
        }

        private string AddInitializer(Scope scope, NodeProto node, string what, TensorProto.Types.DataType type, long[] dims, byte[] bytes)
        {
            var tensor = new TensorProto { DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
            tensor.Dims.Add(dims);
            var hint = $"{Stem(node)}_{what}";
            var name = scope.Editor.AddInitializer(hint, tensor);
            while (!names.Add(name))
            {
                // Free in this graph but taken in another graph of the model: take the next one.
                name = scope.Editor.UniqueName(hint);
                tensor.Name = name;
            }

            return name;
        }

        /// <summary>Keeps the first <paramref name="count"/> outputs of <paramref name="node"/> and forgets the declared types of the others.</summary>
        public static void KeepOutputs(Scope scope, NodeProto node, int count)
        {
            while (node.Output.Count > count)
            {
                var removed = node.Output[^1];
                node.Output.RemoveAt(node.Output.Count - 1);
                for (var i = scope.Graph.ValueInfo.Count - 1; i >= 0 && removed.Length > 0; i--)
                {
                    if (scope.Graph.ValueInfo[i].Name == removed)
                    {
                        scope.Graph.ValueInfo.RemoveAt(i);
                    }
                }
            }

            scope.Editor.Invalidate();
        }

        /// <summary>Whether a node (here or in a subgraph) or a graph output reads <paramref name="value"/>.</summary>
        public static bool IsUsed(Scope scope, string value)
        {
            scope.Editor.Invalidate();
            return scope.Editor.Consumers(value).Count > 0 || scope.Editor.IsGraphOutput(value)
                || scope.Graph.Node.Any(n => n.Attribute.Any(a => (a.G is not null && Reads(a.G, value)) || a.Graphs.Any(g => Reads(g, value))));
        }

        private static bool Reads(GraphProto graph, string value)
            => graph.Output.Any(o => o.Name == value)
            || graph.Node.Any(n => n.Input.Contains(value) || n.Attribute.Any(a => (a.G is not null && Reads(a.G, value)) || a.Graphs.Any(g => Reads(g, value))));

        /// <summary>The element type of <paramref name="value"/> (else of <paramref name="sameType"/>) as declared anywhere in scope; float when unknown.</summary>
        public static int ElementType(Scope scope, string value, string sameType)
        {
            foreach (var name in new[] { value, sameType })
            {
                for (var s = scope; s is not null; s = s.Parent)
                {
                    var declared = Declared(s.Graph, name)?.Type?.TensorType?.ElemType ?? 0;
                    if (declared != 0)
                    {
                        return declared;
                    }

                    var constant = s.Graph.Initializer.FirstOrDefault(t => t.Name == name) ?? ConstantNodeValue(s, name);
                    if (constant is not null)
                    {
                        return constant.DataType;
                    }
                }
            }

            return (int)TensorProto.Types.DataType.Float;
        }

        /// <summary>The rank of <paramref name="value"/> as declared anywhere in scope, or null.</summary>
        public static int? Rank(Scope scope, string value)
        {
            for (var s = scope; s is not null; s = s.Parent)
            {
                if (Declared(s.Graph, value)?.Type?.TensorType?.Shape is { } shape)
                {
                    return shape.Dim.Count;
                }

                var constant = s.Graph.Initializer.FirstOrDefault(t => t.Name == value) ?? ConstantNodeValue(s, value);
                if (constant is not null)
                {
                    return constant.Dims.Count;
                }
            }

            return null;
        }

        private static ValueInfoProto? Declared(GraphProto graph, string value)
            => graph.Input.FirstOrDefault(v => v.Name == value)
            ?? graph.ValueInfo.FirstOrDefault(v => v.Name == value)
            ?? graph.Output.FirstOrDefault(v => v.Name == value);

        private static TensorProto? ConstantNodeValue(Scope scope, string value)
            => scope.Editor.Producer(value) is { OpType: "Constant" } node && OnnxModel.NormalizeDomain(node.Domain).Length == 0
                ? Attribute(node, "value")?.T
                : null;

        private void CollectNames(GraphProto graph)
        {
            names.UnionWith(graph.Input.Select(v => v.Name));
            names.UnionWith(graph.Output.Select(v => v.Name));
            names.UnionWith(graph.ValueInfo.Select(v => v.Name));
            names.UnionWith(graph.Initializer.Select(t => t.Name));
            names.UnionWith(graph.SparseInitializer.Where(t => t.Values is not null).Select(t => t.Values.Name));
            foreach (var node in graph.Node)
            {
                names.Add(node.Name);
                names.UnionWith(node.Output);
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is not null)
                    {
                        CollectNames(attribute.G);
                    }

                    foreach (var g in attribute.Graphs)
                    {
                        CollectNames(g);
                    }
                }
            }
        }
    }
}
