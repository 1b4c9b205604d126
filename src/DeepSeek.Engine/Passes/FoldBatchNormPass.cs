using DeepSeek.Engine.Graph;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <summary>
/// Folds <c>BatchNormalization</c> (inference form) into the <c>Conv</c> before it when that Conv's output feeds nothing
/// else and its weights are constant: W' = W·γ/σ per output channel, b' = (b − μ)·γ/σ + β. Quantizing a folded Conv is
/// both faster and more accurate than quantizing Conv and BatchNormalization apart.
/// </summary>
public sealed class FoldBatchNormPass : IGraphPass
{
    /// <inheritdoc />
    public string Name => "fold-batchnorm";

    /// <inheritdoc />
    public PassResult Run(PassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        var editor = GraphEditor.For(model);
        var folded = 0;
        foreach (var bn in editor.Graph.Node.Where(n => n.OpType == "BatchNormalization" && n.Domain is "" or "ai.onnx").ToArray())
        {
            if (bn.Output.Count(o => o.Length > 0) != 1 || bn.Input.Count < 5)
            {
                continue; // training form
            }

            var conv = editor.Producer(bn.Input[0]);
            if (conv is null || conv.OpType != "Conv" || conv.Domain is not ("" or "ai.onnx") || editor.Consumers(conv.Output[0]).Count != 1 || editor.IsGraphOutput(conv.Output[0]))
            {
                continue;
            }

            var weightTensor = editor.ConstantTensor(conv.Input[1]);
            var parameters = bn.Input.Skip(1).Take(4).Select(editor.ConstantTensor).ToArray();
            var biasTensor = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? editor.ConstantTensor(conv.Input[2]) : null;
            if (weightTensor is null || parameters.Any(p => p is null) || (conv.Input.Count > 2 && conv.Input[2].Length > 0 && biasTensor is null)
                || weightTensor.DataType != (int)TensorProto.Types.DataType.Float || parameters.Any(p => p!.DataType != (int)TensorProto.Types.DataType.Float))
            {
                continue;
            }

            var weights = Tensors.ReadFloats(weightTensor, model);
            var scale = Tensors.ReadFloats(parameters[0]!, model);
            var shift = Tensors.ReadFloats(parameters[1]!, model);
            var mean = Tensors.ReadFloats(parameters[2]!, model);
            var variance = Tensors.ReadFloats(parameters[3]!, model);
            var channels = (int)weightTensor.Dims[0];
            if (scale.Length != channels || shift.Length != channels || mean.Length != channels || variance.Length != channels || weights.Length % channels != 0)
            {
                continue;
            }

            var epsilon = Tensors.FloatAttribute(bn, "epsilon", 1e-5f);
            var bias = biasTensor is null ? new float[channels] : Tensors.ReadFloats(biasTensor, model);
            var perChannel = weights.Length / channels;
            var newWeights = new float[weights.Length];
            var newBias = new float[channels];
            for (var c = 0; c < channels; c++)
            {
                var factor = scale[c] / MathF.Sqrt(variance[c] + epsilon);
                for (var i = 0; i < perChannel; i++)
                {
                    newWeights[(c * perChannel) + i] = weights[(c * perChannel) + i] * factor;
                }

                newBias[c] = ((bias[c] - mean[c]) * factor) + shift[c];
            }

            var w = editor.AddInitializer(conv.Input[1] + "_folded", Tensors.Float(newWeights, [.. weightTensor.Dims]));
            var b = editor.AddInitializer((conv.Input.Count > 2 && conv.Input[2].Length > 0 ? conv.Input[2] : conv.Name + "_bias") + "_folded", Tensors.Float(newBias, channels));
            conv.Input[1] = w;
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = b;
            }
            else
            {
                conv.Input.Add(b);
            }

            conv.Output[0] = bn.Output[0];
            editor.RemoveNode(bn);
            folded++;
        }

        var removed = editor.RemoveUnusedInitializers();
        return new PassResult(Name, $"folded {folded} BatchNormalization node(s) into Conv", new Dictionary<string, long>
        {
            ["folded"] = folded,
            ["initializersRemoved"] = removed,
        });
    }
}
