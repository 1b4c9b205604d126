using System.Buffers.Binary;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;
using static DeepSeek.Engine.Graph.Tensors;

namespace DeepSeek.Engine.Passes;

/// <content>The rewrites, one per operator version whose form changed.</content>
public sealed partial class OpsetUpgradePass
{
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

}
