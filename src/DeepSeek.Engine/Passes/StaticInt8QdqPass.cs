using DeepSeek.Engine.Graph;
using DeepSeek.Engine.Operators;
using DeepSeek.Engine.Passes.Int8;
using DeepSeek.Engine.Profiles;
using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// INT8 static quantization in the QDQ form (QuantizeLinear/DequantizeLinear pairs around float ops), which ONNX Runtime
/// turns into its quantized kernels (QLinearConv, QLinearMatMul, QLinearAdd, int8 MaxPool...):
/// <list type="bullet">
/// <item>weights of Conv and MatMul: int8, symmetric, per output channel (opset 13), with the profile's bit width;</item>
/// <item>Conv bias: int32 with scale x_scale · w_scale, as the quantized kernels expect;</item>
/// <item>activations: per tensor, from the calibrated ranges, uint8 (U8S8) or int8 (S8S8) as the profile says;</item>
/// <item>Relu/Clip after a Conv, MatMul or Add is left unquantized on its input so that the runtime folds it into the op;</item>
/// <item>MaxPool and shape-only ops (Reshape, Flatten, Transpose...) reuse their input's parameters, so the runtime drops
/// their QDQ pairs and runs them on int8 directly.</item>
/// </list>
/// Needs default-domain opset 13 or newer (run <c>opset-upgrade</c> first) and BatchNormalization folded.
/// Nodes named in <c>floatWeights</c> keep float weights (mixed precision: the most sensitive layers). Given the calibrated
/// mean of each input channel, a Conv's bias absorbs the mean shift its quantized weights cause (bias correction):
/// b' = b + Σ (W − Ŵ)·E[x]. Given the covariance of a Conv's input patches, its weights round to the grid neighbour that
/// lowers the layer's output error (<see cref="OutputErrorRounding"/>) before the bias is corrected.
/// </summary>
public sealed class StaticInt8QdqPass(HardwareProfile profile, IReadOnlyDictionary<string, ActivationRange> ranges, IReadOnlySet<string>? floatWeights = null,
    IReadOnlyDictionary<string, float[]>? channelMeans = null, IReadOnlyDictionary<string, OutputErrorRounding.PatchCovariance>? patchCovariances = null) : IGraphPass
{
    /// <inheritdoc />
    public string Name => "int8-static";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        if ((model.GetOpsetVersion("") ?? 0) < 13)
        {
            throw new DeepSeekException(DiagnosticIds.InternalError, context.File, "static INT8 needs opset 13; the recipe must upgrade the model first");
        }

        var editor = GraphEditor.For(model);
        var types = ElementTypeInference.Infer(editor.Graph);
        var unsigned = profile.Int8.UnsignedActivations;
        var bits = profile.Int8.WeightBits;
        var zeroType = unsigned ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Int8;

        // 1. Which activations get a QDQ pair, with which parameters.
        var parameters = new Dictionary<string, (float Scale, int ZeroPoint)>(StringComparer.Ordinal);
        var convolutional = ConvolutionOutputs(editor);
        bool Quantizes(NodeProto node) => OperatorRegistry.Find(node) is { Static: true } entry && (!entry.OnlyAfterConvolution || node.Input.Any(convolutional.Contains));
        IEnumerable<string> ActivationInputs(NodeProto node)
            => OperatorRegistry.Find(node)!.ActivationInputs is { } indices ? indices.Where(i => i < node.Input.Count).Select(i => node.Input[i]) : node.Input;

        // Whether reader runs on the int8 form of value: a quantized operator that quantizes that input, or one that passes
        // its input's parameters through (a reshape, max pooling). Other readers keep the float value.
        bool ReadsQuantized(NodeProto reader, string value)
            => Quantizes(reader) && (ActivationInputs(reader).Contains(value)
                || (OperatorRegistry.Find(reader)!.SharesInputParameters && reader.Input.Count > 0 && reader.Input[0] == value));

        foreach (var node in editor.Graph.Node.ToArray())
        {
            if (!Quantizes(node))
            {
                continue;
            }

            foreach (var input in ActivationInputs(node))
            {
                TryAdd(input);
            }

            foreach (var output in node.Output.Take(1))
            {
                if (QuantizesOutput(node, output))
                {
                    TryAdd(output);
                }
            }
        }

        void TryAdd(string value)
        {
            if (value.Length == 0 || parameters.ContainsKey(value) || editor.ConstantTensor(value) is not null
                || !types.TryGetValue(value, out var type) || type != (int)TensorProto.Types.DataType.Float)
            {
                return;
            }

            var producer = editor.Producer(value);
            if (producer is not null && OperatorRegistry.Is(producer, e => e.Static) && !QuantizesOutput(producer, value))
            {
                return; // a Conv/MatMul/Add output that only a fused Relu/Clip reads
            }

            if (producer is not null && OperatorRegistry.Find(producer) is { Static: true, SharesInputParameters: true } && parameters.TryGetValue(producer.Input[0], out var inherited))
            {
                // The same parameters as its input: the runtime then runs it on int8 directly.
                parameters[value] = inherited;
                return;
            }

            if (ranges.TryGetValue(value, out var range))
            {
                parameters[value] = range.Parameters(unsigned);
            }
        }

        // 2. Insert one QDQ pair per activation, rewiring the readers that run on int8 (the others, and graph outputs, keep the
        //    float value: in a transformer the LayerNorm output feeds the quantized projections and the float residual Add).
        var dequantized = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (value, (scale, zeroPoint)) in parameters)
        {
            var s = editor.AddInitializer(value + "_scale", Tensors.Float([scale]));
            var z = editor.AddInitializer(value + "_zero_point", unsigned ? Tensors.UInt8([(byte)zeroPoint]) : Tensors.Int8([(sbyte)zeroPoint]));
            var q = editor.UniqueName(value + "_quantized");
            var dq = editor.UniqueName(value + "_dequantized");
            var readers = editor.Consumers(value).Where(r => ReadsQuantized(r, value)).ToArray();
            editor.AddNode("QuantizeLinear", [value, s, z], [q], name: value + "_QuantizeLinear");
            editor.AddNode("DequantizeLinear", [q, s, z], [dq], name: value + "_DequantizeLinear");
            foreach (var reader in readers)
            {
                for (var i = 0; i < reader.Input.Count; i++)
                {
                    if (reader.Input[i] == value)
                    {
                        reader.Input[i] = dq;
                    }
                }
            }

            dequantized[value] = dq;
            editor.Invalidate();
        }

        // 3. Weights (per channel) and Conv bias (int32).
        long weights = 0, nodes = 0, kept = 0, corrected = 0, rounded = 0;
        foreach (var node in editor.Graph.Node.Where(n => OperatorRegistry.Is(n, e => e is { Static: true, Layout: WeightLayout.OutputChannelsFirst or WeightLayout.Columns })).ToArray())
        {
            var entry = OperatorRegistry.Find(node)!;
            var weight = OperatorRegistry.Weight(node, editor);
            if (weight is null)
            {
                continue;
            }

            if (floatWeights?.Contains(node.Name) == true)
            {
                kept++;
                continue;
            }

            var values = Tensors.ReadFloats(weight, model);
            var isConv = entry.Layout == WeightLayout.OutputChannelsFirst;
            var axis = OperatorRegistry.ChannelAxis(entry.Layout);
            var channels = (int)weight.Dims[axis];
            var (q, scales) = isConv
                ? WeightQuantization.PerOuterChannel(values, channels, bits)
                : WeightQuantization.PerColumn(values, (int)weight.Dims[0], channels, bits);
            if (isConv && patchCovariances is not null && patchCovariances.TryGetValue(node.Output[0], out var covariance))
            {
                OutputErrorRounding.Round(values, scales, q, covariance, WeightQuantization.MaxLevel(bits));
                rounded++;
            }
            var weightInput = entry.WeightInput!.Value;
            var weightName = node.Input[weightInput];
            var wq = editor.AddInitializer(weightName + "_quantized", Tensors.Int8(q, [.. weight.Dims]));
            var ws = editor.AddInitializer(weightName + "_scale", Tensors.Float(scales, channels));
            var wz = editor.AddInitializer(weightName + "_zero_point", Tensors.Int8(new sbyte[channels], channels));
            var wdq = editor.UniqueName(weightName + "_dequantized");
            var dqNode = editor.AddNode("DequantizeLinear", [wq, ws, wz], [wdq], name: weightName + "_DequantizeLinear");
            Tensors.SetInt(dqNode, "axis", axis);
            node.Input[weightInput] = wdq;
            weights += q.Length;
            nodes++;

            var input = node.Input[0];
            var xSource = dequantized.FirstOrDefault(kv => kv.Value == input).Key;
            if (isConv && xSource is not null && (node.Input.Count < 3 || node.Input[2].Length == 0))
            {
                // A Conv without bias gets a zero one, so that bias correction and the int32 form apply to it too.
                var zero = editor.AddInitializer(node.Name + "_bias", Tensors.Float(new float[channels], channels));
                if (node.Input.Count < 3)
                {
                    node.Input.Add(zero);
                }
                else
                {
                    node.Input[2] = zero;
                }
            }

            if (isConv && node.Input.Count > 2 && node.Input[2].Length > 0 && xSource is not null
                && editor.ConstantTensor(node.Input[2]) is { DataType: (int)TensorProto.Types.DataType.Float } biasTensor)
            {
                var bias = Tensors.ReadFloats(biasTensor, model);
                if (channelMeans is not null && channelMeans.TryGetValue(xSource, out var means))
                {
                    CorrectBias(bias, values, q, scales, means, (int)Tensors.IntAttribute(node, "group", 1));
                    corrected++;
                }

                var xScale = parameters[xSource].Scale;
                var biasScales = scales.Select(w => w * xScale).ToArray();
                var biasQ = new int[bias.Length];
                for (var c = 0; c < bias.Length; c++)
                {
                    biasQ[c] = (int)Math.Clamp(MathF.Round(bias[c] / biasScales[c], MidpointRounding.ToEven), int.MinValue, int.MaxValue);
                }

                var bq = editor.AddInitializer(node.Input[2] + "_quantized", Tensors.Raw(TensorProto.Types.DataType.Int32, System.Runtime.InteropServices.MemoryMarshal.AsBytes(biasQ.AsSpan()), bias.Length));
                var bs = editor.AddInitializer(node.Input[2] + "_scale", Tensors.Float(biasScales, bias.Length));
                var bdq = editor.UniqueName(node.Input[2] + "_dequantized");
                var biasDq = editor.AddNode("DequantizeLinear", [bq, bs], [bdq], name: node.Input[2] + "_DequantizeLinear");
                Tensors.SetInt(biasDq, "axis", 0);
                node.Input[2] = bdq;
            }
        }

        foreach (var (key, value) in profile.Int8.SessionOptions)
        {
            context.RequiredSessionOptions[key] = value;
        }

        editor.RemoveUnusedInitializers();
        editor.SortTopologically();
        return new PassResult(Name,
            $"{nodes} Conv/MatMul node(s) with {bits}-bit per-channel int8 weights ({weights} values), {kept} kept in float; {parameters.Count} activation(s) quantized to {zeroType.ToString().ToLowerInvariant()}",
            new Dictionary<string, long> { ["nodes"] = nodes, ["weights"] = weights, ["floatNodes"] = kept, ["biasCorrected"] = corrected, ["roundedByOutputError"] = rounded, ["activations"] = parameters.Count, ["weightBits"] = bits });

        bool QuantizesOutput(NodeProto node, string output)
        {
            if (editor.IsGraphOutput(output) && editor.Consumers(output).Count == 0)
            {
                return false;
            }

            // Conv/MatMul/Add followed by nothing but a Relu/Clip: quantize after the activation instead (the runtime fuses it).
            var readers = editor.Consumers(output);
            if (OperatorRegistry.Is(node, e => e.AbsorbsActivation) && readers.Count == 1 && OperatorRegistry.Is(readers[0], e => e.FusesIntoProducer))
            {
                return false;
            }

            // Only where some reader runs on int8: a MatMul whose output goes to a float bias Add keeps a float output (the
            // runtime's MatMulIntegerToFloat).
            return readers.Any(r => ReadsQuantized(r, output));
        }

    }

    /// <summary>
    /// The values that come out of a convolution through operators that keep int8 (pools, activations, reshapes, element-wise
    /// ones): where Add, Mul and Concat may run quantized. One walk in graph order (ONNX graphs are topologically sorted).
    /// </summary>
    private static HashSet<string> ConvolutionOutputs(GraphEditor editor)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in editor.Graph.Node)
        {
            if (OperatorRegistry.Find(node) is { Static: true } entry && (entry.Convolution || node.Input.Any(result.Contains)))
            {
                result.UnionWith(node.Output);
            }
        }

        return result;
    }

    /// <summary>b[m] += Σ over the channel's inputs of (W − Ŵ)[m, c, k] · mean[c] (Conv weights [M, C/group, k...]).</summary>
    private static void CorrectBias(float[] bias, float[] weights, sbyte[] quantized, float[] scales, float[] means, int group)
    {
        var outputs = bias.Length;
        var inner = weights.Length / outputs;
        var inPerGroup = means.Length / Math.Max(1, group);
        if (inPerGroup == 0 || inner % inPerGroup != 0)
        {
            return;
        }

        var kernel = inner / inPerGroup;
        var outPerGroup = outputs / Math.Max(1, group);
        for (var m = 0; m < outputs; m++)
        {
            var firstChannel = (m / Math.Max(1, outPerGroup)) * inPerGroup;
            double shift = 0;
            for (var c = 0; c < inPerGroup; c++)
            {
                double error = 0;
                for (var k = 0; k < kernel; k++)
                {
                    var i = (m * inner) + (c * kernel) + k;
                    error += weights[i] - (quantized[i] * scales[m]);
                }

                shift += error * means[firstChannel + c];
            }

            bias[m] += (float)shift;
        }
    }
}
