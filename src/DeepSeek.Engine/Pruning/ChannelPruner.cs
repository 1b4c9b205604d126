using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Pruning;

/// <summary>
/// Removes units from one <see cref="UnitGroup"/>: the producer's filters or columns, every per-unit constant, and the
/// consumers' input channels or rows. What the removed units contributed on average is given back: a Conv consumer's bias
/// gets each removed channel's mean times its weights; a MatMul consumer's kept rows (and its bias) are refitted by least
/// squares on the measured XᵀX, so the layer's output moves as little as the kept units allow.
/// </summary>
internal static class ChannelPruner
{
    /// <summary>The refit's ridge, as a share of XᵀX's mean diagonal: few calibration rows must not be fitted exactly, and the
    /// kept rows stay near their trained weights where the rows say little.</summary>
    public const double Ridge = 0.02;

    /// <summary>The ridge of a Conv consumer's compensation, as a share of XᵀX's mean diagonal: stronger than a MatMul's, because
    /// a channel's pixels are many but say less (they repeat a few images; ResNet-18's last stage sees 49 per image for 512
    /// channels). Measured on ResNet-18 with int8-static and 0.3 of its channels, fitted on 8 views of two photos, on three
    /// photos it never saw: pooled cosine 0.9875, 0.9928 and 0.9987 at 0.5, against 0.9857, 0.9849 and 0.9985 at 0.1 and
    /// 0.9872, 0.9955 and 0.9985 at 2.</summary>
    public const double ConvRidge = 0.5;

    /// <summary>
    /// Each unit's importance: the L1 or L2 norm of the producer's weights for it, or, for hidden units read by one MatMul
    /// whose input was measured, of what the unit adds to that MatMul's output. An attention head is ranked by what it
    /// measurably adds to the output projection, E‖x_h·W_o,h‖² from the measured XᵀX (a head's weight norms say little about
    /// its attention), or by its weights' L2 norm when nothing was measured.
    /// </summary>
    public static double[] Scores(OnnxModel model, GraphEditor editor, UnitGroup group, PruneMode mode, IReadOnlyDictionary<string, UnitMoments>? moments)
    {
        if (group.Width > 1)
        {
            return HeadScores(model, editor, group, moments?.GetValueOrDefault(group.ConsumedValues[0])?.Gram);
        }

        if (group.Consumers is [{ Node.OpType: "MatMul" } only] && moments?.GetValueOrDefault(group.ConsumedValues[0]) is { Gram: not null } measured)
        {
            return ContributionScores(model, editor, only, mode, measured);
        }

        if (ConvScores(model, editor, group, mode, moments) is { } measuredScores)
        {
            return measuredScores;
        }

        // Tied channels: every Conv that writes them counts.
        var scores = new double[group.Units];
        foreach (var slice in group.Weights)
        {
            var tensor = editor.ConstantTensor(slice.Node.Input[slice.Input])!;
            var data = Tensors.ReadFloats(tensor, model);
            var inner = (int)(data.Length / tensor.Dims.Take(slice.Axis + 1).Aggregate(1L, (a, d) => a * d));
            for (var i = 0; i < data.Length; i++)
            {
                var unit = i / inner % group.Units;
                scores[unit] += mode == PruneMode.ChannelL2 ? (double)data[i] * data[i] : Math.Abs(data[i]);
            }
        }

        return mode == PruneMode.ChannelL2 ? Array.ConvertAll(scores, Math.Sqrt) : scores;
    }

    /// <summary>
    /// Hidden units read by one MatMul, ranked by what each adds to its output that the refitted bias cannot give back: the
    /// unit's measured standard deviation times the L2 (or L1) norm of its row of the consumer's weights. Measured on
    /// arctic-embed-xs (pooled cosine of the float model, FFN units and heads together): 0.9845, 0.9864 and 0.9941 at 0.3, 0.225
    /// and 0.15 of the prunable weights, against 0.9815, 0.9864 and 0.9901 ranking units by the norm of their input weights.
    /// </summary>
    private static double[] ContributionScores(OnnxModel model, GraphEditor editor, UnitSlice consumer, PruneMode mode, UnitMoments stats)
    {
        var weight = editor.ConstantTensor(consumer.Node.Input[consumer.Input])!;
        var w = Tensors.ReadFloats(weight, model);
        var units = (int)weight.Dims[0];
        var columns = (int)weight.Dims[1];
        var gram = stats.Gram!;
        var scores = new double[units];
        for (var i = 0; i < units; i++)
        {
            var mean = stats.Mean(i);
            var variance = stats.Count == 0 ? 0 : Math.Max(0, (gram[(i * units) + i] / stats.Count) - (mean * mean));
            var row = w.AsSpan(i * columns, columns);
            scores[i] = Math.Sqrt(variance) * (mode == PruneMode.ChannelL2
                ? System.Numerics.Tensors.TensorPrimitives.Norm(row)
                : System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(row));
        }

        return scores;
    }

    /// <summary>
    /// Channels read by Convs whose input was measured, ranked by what each adds to those Convs that the refit cannot give
    /// back: the part of the channel the other channels do not predict (its residual standard deviation given all the others,
    /// 1/√(Σ⁻¹)ᵢᵢ of the measured covariance Σ) times the L2 (or L1) norm of the consumer's kernels for it, summed over
    /// consumers. Null when no consumer was measured. Measured on ResNet-18 (docs/recipes.md, "Which units go").
    /// </summary>
    private static double[]? ConvScores(OnnxModel model, GraphEditor editor, UnitGroup group, PruneMode mode, IReadOnlyDictionary<string, UnitMoments>? moments)
    {
        if (moments is null || group.Width != 1)
        {
            return null;
        }

        var units = group.Units;
        var residual = new Dictionary<string, double[]?>(StringComparer.Ordinal);
        double[]? scores = null;
        foreach (var consumer in group.Consumers.Where(c => c.Node.OpType == "Conv" && c.Offset == 0))
        {
            var value = consumer.Node.Input[0];
            if (!residual.TryGetValue(value, out var std))
            {
                std = residual[value] = moments.GetValueOrDefault(value) is { Gram: not null, Count: > 0 } m && m.Sums.Length == units ? ResidualDeviations(m) : null;
            }

            if (std is null)
            {
                continue;
            }

            var weight = editor.ConstantTensor(consumer.Node.Input[1])!;
            var w = Tensors.ReadFloats(weight, model);
            var kernel = w.Length / (int)weight.Dims[0] / units;
            scores ??= new double[units];
            for (var c = 0; c < units; c++)
            {
                double norm = 0;
                for (var o = 0; o < weight.Dims[0]; o++)
                {
                    var k = w.AsSpan((int)(((o * units) + c) * kernel), kernel);
                    norm += mode == PruneMode.ChannelL2 ? System.Numerics.Tensors.TensorPrimitives.SumOfSquares(k) : System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(k);
                }

                scores[c] += std[c] * (mode == PruneMode.ChannelL2 ? Math.Sqrt(norm) : norm);
            }
        }

        return scores;
    }

    /// <summary>Per unit, the standard deviation of what the other units do not predict of it: 1/√(Σ⁻¹)ᵢᵢ for the measured
    /// covariance Σ (ridged like the refit); null when Σ is not positive definite.</summary>
    internal static double[]? ResidualDeviations(UnitMoments m)
    {
        var n = m.Sums.Length;
        var covariance = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                covariance[(i * n) + j] = (m.Gram![(i * n) + j] / m.Count) - (m.Mean(i) * m.Mean(j));
            }
        }

        var ridge = (Ridge * Enumerable.Range(0, n).Average(i => covariance[(i * n) + i])) + 1e-12;
        var inverse = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            covariance[(i * n) + i] += ridge;
            inverse[(i * n) + i] = 1;
        }

        return Cholesky.Solve(covariance, inverse, n, n) ? Enumerable.Range(0, n).Select(i => 1 / Math.Sqrt(inverse[(i * n) + i])).ToArray() : null;
    }

    private static double[] HeadScores(OnnxModel model, GraphEditor editor, UnitGroup group, double[]? gram)
    {
        var scores = new double[group.Units];
        var d = group.Width;
        var consumer = group.Consumers[0];
        var wo = editor.ConstantTensor(consumer.Node.Input[consumer.Input])!;
        var o = Tensors.ReadFloats(wo, model);
        var rows = (int)wo.Dims[0];
        var columns = (int)wo.Dims[1];
        if (gram is null)
        {
            foreach (var slice in group.Weights)
            {
                var tensor = editor.ConstantTensor(slice.Node.Input[slice.Input])!;
                var w = Tensors.ReadFloats(tensor, model);
                for (var i = 0; i < w.Length; i++)
                {
                    scores[i % rows / d] += (double)w[i] * w[i]; // [model, heads × d]: column i % rows
                }
            }

            for (var i = 0; i < o.Length; i++)
            {
                scores[i / columns / d] += (double)o[i] * o[i];
            }

            return Array.ConvertAll(scores, Math.Sqrt);
        }

        for (var h = 0; h < group.Units; h++)
        {
            double energy = 0;
            for (var i = h * d; i < (h + 1) * d; i++)
            {
                for (var j = h * d; j < (h + 1) * d; j++)
                {
                    var g = gram[(i * rows) + j];
                    if (g != 0)
                    {
                        energy += g * System.Numerics.Tensors.TensorPrimitives.Dot(o.AsSpan(i * columns, columns), o.AsSpan(j * columns, columns));
                    }
                }
            }

            scores[h] = energy;
        }

        return scores;
    }

    /// <summary>The units to keep when <paramref name="remove"/> of them go: the highest scores, in their original order.</summary>
    public static int[] Keep(double[] scores, int remove)
        => Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(scores.Length - remove).Order().ToArray();

    /// <summary>Rewrites the group's tensors to the kept units (new initializers; the old ones are left for the caller to drop).</summary>
    public static void Apply(OnnxModel model, GraphEditor editor, UnitGroup group, int[] keep, IReadOnlyDictionary<string, UnitMoments>? moments)
    {
        if (keep.Length == group.Units)
        {
            return;
        }

        var removed = Enumerable.Range(0, group.Units).Except(keep).ToArray();
        foreach (var edit in group.ShapeEdits)
        {
            EditShape(model, editor, edit, keep.Length);
        }

        foreach (var consumer in group.Consumers)
        {
            var stats = moments?.GetValueOrDefault(consumer.Node.Input[0]);
            if (consumer.Node.OpType == "MatMul" && stats?.Gram is not null)
            {
                Refit(model, editor, consumer.Node, Entries(keep, consumer.Width), stats);
            }
            else
            {
                // Moments of the units' own value are regressed on; a consumer of a concatenation reads more channels than the
                // group has, and gets the removed channels' means at the group's offset.
                var measured = consumer.Node.OpType == "Conv" && stats is not null && stats.Sums.Length >= consumer.Offset + group.Units;
                if (measured && consumer.Offset == 0 && stats!.Sums.Length == group.Units && stats.Gram is not null && Regress(model, editor, consumer.Node, keep, removed, stats))
                {
                    continue;
                }

                if (measured)
                {
                    AddRemovedMeans(model, editor, consumer.Node, removed.Select(c => c + consumer.Offset).ToArray(), stats!);
                }

                Slice(model, editor, consumer, keep, group.Units);
            }
        }

        foreach (var slice in group.Weights.Concat(group.PerUnit))
        {
            Slice(model, editor, slice, keep, group.Units);
        }

        foreach (var depthwise in group.GroupCounts)
        {
            Tensors.SetInt(depthwise, "group", keep.Length);
        }

        // The values' declared shapes no longer hold: ONNX Runtime infers them again.
        var changed = group.Values.ToHashSet(StringComparer.Ordinal);
        for (var i = editor.Graph.ValueInfo.Count - 1; i >= 0; i--)
        {
            if (changed.Contains(editor.Graph.ValueInfo[i].Name))
            {
                editor.Graph.ValueInfo.RemoveAt(i);
            }
        }
    }

    /// <summary>Replaces the slice's tensor with its kept units' entries along the slice's axis (and, around a slice at an
    /// offset, every entry before and after the group's <paramref name="units"/>).</summary>
    private static void Slice(OnnxModel model, GraphEditor editor, UnitSlice slice, int[] keep, int units)
    {
        var name = slice.Node.Input[slice.Input];
        var tensor = editor.ConstantTensor(name)!;
        var dims = tensor.Dims.ToArray();
        var data = Tensors.ReadFloats(tensor, model);
        var end = slice.Offset + (units * slice.Width);
        var entries = Enumerable.Range(0, slice.Offset).Concat(Entries(keep, slice.Width).Select(e => e + slice.Offset))
            .Concat(Enumerable.Range(end, (int)dims[slice.Axis] - end)).ToArray();
        slice.Node.Input[slice.Input] = editor.AddInitializer(name + "_pruned", Tensors.Float(Take(data, dims, slice.Axis, entries), With(dims, slice.Axis, entries.Length)));
    }

    /// <summary>The entries the kept units span when each is <paramref name="width"/> wide.</summary>
    private static int[] Entries(int[] keep, int width)
        => width == 1 ? keep : keep.SelectMany(u => Enumerable.Range(u * width, width)).ToArray();

    /// <summary>
    /// Rewrites one entry of a Reshape's target to the kept units × <see cref="ShapeEdit.PerUnit"/>: a new constant target, or
    /// a new Concat with a new constant piece (the original may be shared); the caller sorts the graph.
    /// </summary>
    private static void EditShape(OnnxModel model, GraphEditor editor, ShapeEdit edit, int kept)
    {
        var target = edit.Reshape.Input[1];
        var concat = edit.ConcatInput < 0 ? null : editor.Producer(target)!;
        var piece = concat is null ? target : concat.Input[edit.ConcatInput];
        var tensor = editor.ConstantTensor(piece)!;
        var values = Tensors.ReadInt64s(tensor, model);
        values[edit.Offset] = kept * edit.PerUnit;
        var name = editor.AddInitializer(piece + "_pruned", Tensors.Int64(values, [.. tensor.Dims]));
        if (concat is null)
        {
            edit.Reshape.Input[1] = name;
            return;
        }

        var inputs = concat.Input.ToArray();
        inputs[edit.ConcatInput] = name;
        var copy = editor.AddNode("Concat", inputs, [editor.UniqueName(target + "_pruned")], name: concat.Name + "_pruned");
        copy.Attribute.AddRange(concat.Attribute.Select(a => a.Clone()));
        edit.Reshape.Input[1] = copy.Output[0];
        editor.Invalidate();
        if (editor.Consumers(target).Count == 0 && !editor.IsGraphOutput(target))
        {
            editor.RemoveNode(concat);
        }
    }

    /// <summary>The entries of <paramref name="data"/> (shape <paramref name="dims"/>) at <paramref name="keep"/> along <paramref name="axis"/>.</summary>
    internal static float[] Take(float[] data, long[] dims, int axis, int[] keep)
    {
        var outer = (int)dims.Take(axis).Aggregate(1L, (a, d) => a * d);
        var inner = (int)dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        var units = (int)dims[axis];
        var result = new float[outer * keep.Length * inner];
        for (var o = 0; o < outer; o++)
        {
            for (var k = 0; k < keep.Length; k++)
            {
                data.AsSpan(((o * units) + keep[k]) * inner, inner).CopyTo(result.AsSpan(((o * keep.Length) + k) * inner, inner));
            }
        }

        return result;
    }

    private static long[] With(long[] dims, int axis, long size)
    {
        var copy = (long[])dims.Clone();
        copy[axis] = size;
        return copy;
    }

    /// <summary>A Conv consumer's bias gains Σ over removed channels of mean × the channel's kernel sum (zero padding aside);
    /// <paramref name="removed"/> are the consumer's input channels (a concatenation's, at the group's offset).</summary>
    private static void AddRemovedMeans(OnnxModel model, GraphEditor editor, NodeProto conv, int[] removed, UnitMoments stats)
    {
        var weight = editor.ConstantTensor(conv.Input[1])!;
        var w = Tensors.ReadFloats(weight, model);
        var outputs = (int)weight.Dims[0];
        var channels = (int)weight.Dims[1];
        var kernel = w.Length / outputs / channels;
        var add = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            foreach (var c in removed)
            {
                add[o] += stats.Mean(c) * System.Numerics.Tensors.TensorPrimitives.Sum(w.AsSpan(((o * channels) + c) * kernel, kernel));
            }
        }

        AddToBias(model, editor, conv, add);
    }

    /// <summary>A Conv's bias (made if it has none) plus <paramref name="add"/>, one entry per output channel.</summary>
    private static void AddToBias(OnnxModel model, GraphEditor editor, NodeProto conv, double[] add)
    {
        var hasBias = conv.Input.Count > 2 && conv.Input[2].Length > 0;
        var bias = hasBias ? Tensors.ReadFloats(editor.ConstantTensor(conv.Input[2])!, model) : new float[add.Length];
        for (var o = 0; o < add.Length; o++)
        {
            bias[o] += (float)add[o];
        }

        var name = editor.AddInitializer((hasBias ? conv.Input[2] : conv.Name + "_bias") + "_compensated", Tensors.Float(bias, add.Length));
        if (hasBias)
        {
            conv.Input[2] = name;
        }
        else
        {
            while (conv.Input.Count < 2)
            {
                conv.Input.Add("");
            }

            conv.Input.Add(name);
        }
    }

    /// <summary>
    /// A Conv consumer compensated for its removed input channels by what the kept ones predict of them: each removed
    /// channel's pixels are regressed on the kept channels' (x_s ≈ Σ_c a_cs·x_c + b_s, least squares on the measured XᵀX over
    /// pixels, ridge towards a = 0), and its kernel is added to the kept channels' through a, its kernel sum times b to the
    /// bias. With a = 0 this is <see cref="AddRemovedMeans"/>. When the layers before were pruned already
    /// (<see cref="UnitMoments.Cross"/>: what the pruned model feeds the consumer, against what the original fed it), every
    /// original channel is regressed on the kept channels as they now arrive (ridge towards the identity), so the consumer
    /// also takes back what the earlier layers' pruning moved. The consumer's weight becomes its kept input channels only.
    /// False (nothing changed) when the system is not positive definite.
    /// </summary>
    private static bool Regress(OnnxModel model, GraphEditor editor, NodeProto conv, int[] keep, int[] removed, UnitMoments stats)
    {
        var units = stats.Sums.Length;
        var gram = stats.Gram!;
        var cross = stats.Cross ?? gram;
        var targetSums = stats.TargetSums ?? stats.Sums;
        var targets = stats.Cross is null ? removed : Enumerable.Range(0, units).ToArray();
        var t = targets.Length;
        var k = keep.Length;
        var n = k + 1;
        var ata = new double[n * n];
        var aty = new double[n * t];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                ata[(i * n) + j] = gram[(keep[i] * units) + keep[j]];
            }

            ata[(i * n) + k] = ata[(k * n) + i] = stats.Sums[keep[i]];
            for (var c = 0; c < t; c++)
            {
                aty[(i * t) + c] = cross[(keep[i] * units) + targets[c]];
            }
        }

        ata[(k * n) + k] = stats.Count;
        for (var c = 0; c < t; c++)
        {
            aty[(k * t) + c] = targetSums[targets[c]];
        }

        // Ridge: each kept channel stands for itself, and predicts nothing else, where the pixels say little.
        var ridge = ConvRidge * Enumerable.Range(0, k).Average(i => ata[(i * n) + i]) + 1e-12;
        var column = new Dictionary<int, int>();
        for (var c = 0; c < t; c++)
        {
            column[targets[c]] = c;
        }

        for (var i = 0; i < k; i++)
        {
            ata[(i * n) + i] += ridge;
            if (column.TryGetValue(keep[i], out var c))
            {
                aty[(i * t) + c] += ridge;
            }
        }

        if (stats.Count == 0 || !Cholesky.Solve(ata, aty, n, t))
        {
            return false;
        }

        // w'[o, i] = (the kept channel's own kernel, unless every channel is a target) + Σ_c a_ic·w[o, c]; bias += Σ_c b_c·Σ w[o, c].
        var weight = editor.ConstantTensor(conv.Input[1])!;
        var w = Tensors.ReadFloats(weight, model);
        var outputs = (int)weight.Dims[0];
        var kernel = w.Length / outputs / units;
        var refit = new float[outputs * k * kernel];
        var add = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            if (stats.Cross is null)
            {
                for (var i = 0; i < k; i++)
                {
                    w.AsSpan(((o * units) + keep[i]) * kernel, kernel).CopyTo(refit.AsSpan(((o * k) + i) * kernel, kernel));
                }
            }

            for (var c = 0; c < t; c++)
            {
                var from = w.AsSpan(((o * units) + targets[c]) * kernel, kernel);
                for (var i = 0; i < k; i++)
                {
                    var a = (float)aty[(i * t) + c];
                    if (a != 0)
                    {
                        var to = refit.AsSpan(((o * k) + i) * kernel, kernel);
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(from, a, to, to);
                    }
                }

                add[o] += aty[(k * t) + c] * System.Numerics.Tensors.TensorPrimitives.Sum(from);
            }
        }

        var dims = weight.Dims.ToArray();
        dims[1] = k;
        conv.Input[1] = editor.AddInitializer(conv.Input[1] + "_pruned", Tensors.Float(refit, dims));
        AddToBias(model, editor, conv, add);
        return true;
    }

    /// <summary>
    /// A MatMul consumer y = x·W refitted on the kept rows: W'ₖ (and a bias shift δ when a constant Add follows) minimize
    /// Σ‖xₖ·W'ₖ + δ − x·W‖² over the measured rows — normal equations from XᵀX and Σx, with a small ridge for stability.
    /// </summary>
    private static void Refit(OnnxModel model, GraphEditor editor, NodeProto matmul, int[] keep, UnitMoments stats)
    {
        var weight = editor.ConstantTensor(matmul.Input[1])!;
        var units = (int)weight.Dims[0];
        var width = (int)weight.Dims[1];
        var w = Tensors.ReadFloats(weight, model);
        var gram = stats.Gram!;
        var biasAdd = editor.Consumers(matmul.Output[0]) is [{ OpType: "Add" } add] && !editor.IsGraphOutput(matmul.Output[0])
            && add.Input.Select((x, i) => (x, i)).FirstOrDefault(p => p.x != matmul.Output[0]) is var (other, index) && other is not null
            && editor.ConstantTensor(other) is { DataType: (int)TensorProto.Types.DataType.Float } b && b.Dims.Aggregate(1L, (a, d) => a * d) == width && b.Dims[^1] == width
            ? (Node: add, Input: index) : ((NodeProto Node, int Input)?)null;
        var k = keep.Length;
        var n = k + (biasAdd is null ? 0 : 1);
        // A = [X_K, 1]: AᵀA from the moments; AᵀY = AᵀX·W.
        var ata = new double[n * n];
        var aty = new double[n * width];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                ata[(i * n) + j] = gram[(keep[i] * units) + keep[j]];
            }

            if (biasAdd is not null)
            {
                ata[(i * n) + k] = ata[(k * n) + i] = stats.Sums[keep[i]];
            }
        }

        if (biasAdd is not null)
        {
            ata[(k * n) + k] = stats.Count;
        }

        for (var i = 0; i < n; i++)
        {
            var row = i < k ? gram.AsSpan(keep[i] * units, units) : stats.Sums;
            for (var u = 0; u < units; u++)
            {
                var x = row[u];
                if (x != 0)
                {
                    for (var c = 0; c < width; c++)
                    {
                        aty[(i * width) + c] += x * w[(u * width) + c];
                    }
                }
            }
        }

        // The ridge pulls the kept rows towards their original weights (not towards zero): λ‖W'ₖ − Wₖ‖².
        var ridge = Ridge * Enumerable.Range(0, k).Average(i => ata[(i * n) + i]) + 1e-12;
        for (var i = 0; i < k; i++)
        {
            ata[(i * n) + i] += ridge;
            for (var c = 0; c < width; c++)
            {
                aty[(i * width) + c] += ridge * w[(keep[i] * width) + c];
            }
        }

        if (!Cholesky.Solve(ata, aty, n, width))
        {
            Slice(model, editor, new UnitSlice(matmul, 1, 0), keep, units); // not positive definite (a unit never active): plain removal
            return;
        }

        var refit = new float[k * width];
        for (var i = 0; i < refit.Length; i++)
        {
            refit[i] = (float)aty[i];
        }

        matmul.Input[1] = editor.AddInitializer(matmul.Input[1] + "_pruned", Tensors.Float(refit, k, width));
        if (biasAdd is { } add2)
        {
            var biasTensor = editor.ConstantTensor(add2.Node.Input[add2.Input])!;
            var bias = Tensors.ReadFloats(biasTensor, model);
            for (var c = 0; c < width; c++)
            {
                bias[c] += (float)aty[(k * width) + c];
            }

            add2.Node.Input[add2.Input] = editor.AddInitializer(add2.Node.Input[add2.Input] + "_refit", Tensors.Float(bias, [.. biasTensor.Dims]));
        }
    }
}

/// <summary>Solves A·X = B in place for a symmetric positive definite A (n×n, row-major; B n×m is overwritten by X).</summary>
internal static class Cholesky
{
    /// <summary>False when A is not positive definite.</summary>
    public static bool Solve(double[] a, double[] b, int n, int m)
    {
        for (var j = 0; j < n; j++)
        {
            var d = a[(j * n) + j];
            for (var p = 0; p < j; p++)
            {
                d -= a[(j * n) + p] * a[(j * n) + p];
            }

            if (!(d > 0))
            {
                return false;
            }

            var l = Math.Sqrt(d);
            a[(j * n) + j] = l;
            System.Threading.Tasks.Parallel.For(j + 1, n, i =>
            {
                var s = a[(i * n) + j];
                var ri = a.AsSpan(i * n, j);
                var rj = a.AsSpan(j * n, j);
                for (var p = 0; p < j; p++)
                {
                    s -= ri[p] * rj[p];
                }

                a[(i * n) + j] = s / l;
            });
        }

        // L·Y = B, then Lᵀ·X = Y, a row of B at a time
        for (var i = 0; i < n; i++)
        {
            Eliminate(a, b, n, m, i, Enumerable.Range(0, i).Select(p => (p, a[(i * n) + p])));
        }

        for (var i = n - 1; i >= 0; i--)
        {
            Eliminate(a, b, n, m, i, Enumerable.Range(i + 1, n - i - 1).Select(p => (p, a[(p * n) + i])));
        }

        return true;
    }

    /// <summary>Row i of B: minus each solved row p times its factor, then divided by L's diagonal.</summary>
    private static void Eliminate(double[] a, double[] b, int n, int m, int i, IEnumerable<(int Row, double Factor)> solved)
    {
        var row = b.AsSpan(i * m, m);
        foreach (var (p, f) in solved)
        {
            if (f != 0)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.AsSpan(p * m, m), -f, row, row);
            }
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1 / a[(i * n) + i], row);
    }
}
