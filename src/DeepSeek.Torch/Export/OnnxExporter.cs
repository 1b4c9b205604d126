using DeepSeek.Onnx.IO;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;
using DeepSeek.Onnx.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Export;

/// <summary>
/// Exports a TorchSharp module tree to an ONNX model for the DeepSeek build pipeline: <c>Sequential</c> (nested),
/// <see cref="ResidualBlock"/> and the layers listed in docs/torch.md, with the module's weights as initializers.
/// </summary>
public static class OnnxExporter
{
    /// <summary>
    /// Exports <paramref name="module"/> in inference form (as after <c>eval()</c>; its training flags are restored
    /// afterwards) to <paramref name="path"/>. The sample input gives the input's shape and type (float32) and is run
    /// through the modules, without gradients, to learn each intermediate shape. The file is written to a temporary
    /// file and renamed into place, so a failure leaves no file (past 2 GB the weights go to <c>&lt;file&gt;.data</c> beside it).
    /// </summary>
    /// <param name="module">The module tree to export.</param>
    /// <param name="sampleInput">A float32 input of the shape the model takes (batched when the batch is dynamic).</param>
    /// <param name="path">The .onnx file to write; its folder must exist.</param>
    /// <param name="options">Names, opset and batch dimension; <see cref="OnnxExportOptions.Default"/> when null.</param>
    /// <exception cref="DeepSeekTorchException">DSB0071 for a module that has no ONNX form here, DSB0072 for a setting that has
    /// none, DSB0074 for weights that hold NaN or infinite values.</exception>
    /// <exception cref="DeepSeek.Onnx.Diagnostics.DeepSeekException">DSB0040 when the file cannot be written.</exception>
    public static void Export(nn.Module<Tensor, Tensor> module, Tensor sampleInput, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(sampleInput);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxExportOptions.Default;
        Check(sampleInput, options);
        RefuseNonFiniteWeights(module);

        var proto = Build(module, sampleInput, options);
        var model = new OnnxModel(proto, path);
        ModelValidator.Validate(model);
        ModelWriter.Write(model, path); // inline, or weights in an external file past the 2 GB protobuf limit
    }

    /// <summary>DSB0074: a parameter or buffer holding NaN or an infinity would ship a model that computes NaN.</summary>
    private static void RefuseNonFiniteWeights(nn.Module<Tensor, Tensor> module)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var root = module.GetType().Name;
        foreach (var (path, owner) in new[] { (string.Empty, (nn.Module)module) }.Concat(module.named_modules()))
        {
            foreach (var (name, tensor) in owner.named_parameters(recurse: false).Select(p => (p.name, (Tensor)p.parameter)).Concat(owner.named_buffers(recurse: false)))
            {
                if (!tensor.is_floating_point())
                {
                    continue;
                }

                var count = NonFiniteValues.Count(tensor);
                if (count > 0)
                {
                    throw new DeepSeekTorchException(
                        DeepSeekTorchException.NonFiniteWeights,
                        path.Length == 0 ? "(root)" : path,
                        path.Length == 0 ? root : owner.GetType().Name,
                        $"holds {count} NaN/infinite value{(count == 1 ? string.Empty : "s")} in '{name}' [{string.Join(',', tensor.shape)}], so the exported model would compute NaN",
                        "export a model whose training stayed finite (DeepSeekOptimizer throws DSB0073 when it does not), or reload a good checkpoint");
                }
            }
        }
    }

    private static void Check(Tensor sampleInput, OnnxExportOptions options)
    {
        if (options.Opset is < OnnxExportOptions.MinOpset or > OnnxExportOptions.MaxOpset)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"Opset {options.Opset} is outside what the exporter writes ({OnnxExportOptions.MinOpset}–{OnnxExportOptions.MaxOpset}).");
        }

        if (sampleInput.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"The sample input is {sampleInput.dtype}; the exporter takes float32 inputs.", nameof(sampleInput));
        }

        if (options.DynamicBatch && sampleInput.dim() < 2)
        {
            throw new ArgumentException(
                $"A dynamic batch needs a batched sample input (2 or more dimensions; this one has {sampleInput.dim()}); set DynamicBatch to false for an unbatched one.",
                nameof(sampleInput));
        }

        if (string.IsNullOrEmpty(options.InputName) || string.IsNullOrEmpty(options.OutputName) || options.InputName == options.OutputName)
        {
            throw new ArgumentException("The input and output names must be set and differ.", nameof(options));
        }
    }

    private static ModelProto Build(nn.Module<Tensor, Tensor> module, Tensor sampleInput, OnnxExportOptions options)
    {
        var training = TrainingFlags(module);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        module.eval();
        try
        {
            var graph = new GraphBuilder(options.GraphName);
            graph.Reserve(options.InputName);
            graph.Reserve(options.OutputName);
            var context = new ExportContext(graph, options.Opset);
            var root = new ModulePath(string.Empty, GraphBuilder.Sanitize(module.GetType().Name.ToLowerInvariant()));
            var input = new ExportValue(options.InputName, sampleInput, HasBatch: options.DynamicBatch);
            var output = LayerExporters.Export(context, module, root, input);

            if (output.Name == options.InputName)
            {
                graph.Graph.Node.Add(new NodeProto { OpType = "Identity", Name = graph.Unique("identity"), Input = { output.Name }, Output = { options.OutputName } });
            }
            else
            {
                graph.Rename(output.Name, options.OutputName);
            }

            graph.Graph.Input.Add(Value(options.InputName, sampleInput.shape, options.DynamicBatch ? options.BatchDimensionName : null));
            graph.Graph.Output.Add(Value(options.OutputName, output.Sample.shape,
                options.DynamicBatch ? (output.HasBatch ? options.BatchDimensionName : string.Empty) : null));
            return Model(graph.Graph, options);
        }
        finally
        {
            foreach (var (child, wasTraining) in training)
            {
                child.train(wasTraining);
            }
        }
    }

    /// <summary>Every module's training flag, parents before children (train() is recursive, so children are restored last).</summary>
    private static List<(nn.Module Module, bool Training)> TrainingFlags(nn.Module<Tensor, Tensor> module)
    {
        var flags = new List<(nn.Module, bool)> { (module, module.training) };
        flags.AddRange(module.named_modules()
            .Where(m => !ReferenceEquals(m.module, module))
            .OrderBy(m => m.name.Count(c => c == '.'))
            .Select(m => (m.module, m.module.training)));
        return flags;
    }

    /// <summary>A float tensor's value info; <paramref name="batch"/> names the first dim (empty: unknown; null: fixed).</summary>
    private static ValueInfoProto Value(string name, long[] shape, string? batch)
    {
        var tensorShape = new TensorShapeProto();
        for (var i = 0; i < shape.Length; i++)
        {
            tensorShape.Dim.Add(i == 0 && batch is not null
                ? (batch.Length == 0 ? new TensorShapeProto.Types.Dimension() : new TensorShapeProto.Types.Dimension { DimParam = batch })
                : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }

    private static ModelProto Model(GraphProto graph, OnnxExportOptions options)
    {
        var model = new ModelProto
        {
            // The IR version that introduced the opset: 8 up to opset 18, 9 for 19–20, 10 for 21.
            IrVersion = options.Opset switch { <= 18 => 8, <= 20 => 9, _ => 10 },
            ProducerName = options.ProducerName,
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = options.Opset });
        return model;
    }
}
