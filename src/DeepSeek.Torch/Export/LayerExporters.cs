using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Export;

/// <summary>
/// One ONNX form per supported module type, chosen by the module's exact type (a subclass may override
/// <c>forward</c>, so it is not taken for its base). Each exporter emits its nodes from the input value and returns the
/// output value, whose sample is what TorchSharp computes for the sample input.
/// </summary>
internal static class LayerExporters
{
    private const string ExportAdvice = "use the supported layers listed in docs/torch.md, or export from PyTorch";

    private delegate ExportValue Exporter(ExportContext context, nn.Module module, ModulePath path, ExportValue input);

    private static readonly Dictionary<Type, Exporter> Exporters = new()
    {
        [typeof(Sequential)] = ExportSequential,
        [typeof(ResidualBlock)] = ExportResidualBlock,
        [typeof(Linear)] = ExportLinear,
        [typeof(Conv2d)] = ExportConv2d,
        [typeof(BatchNorm2d)] = ExportBatchNorm2d,
        [typeof(ReLU)] = Unary("Relu"),
        [typeof(Sigmoid)] = Unary("Sigmoid"),
        [typeof(Tanh)] = Unary("Tanh"),
        [typeof(GELU)] = ExportGelu,
        [typeof(MaxPool2d)] = ExportMaxPool2d,
        [typeof(AvgPool2d)] = ExportAvgPool2d,
        [typeof(AdaptiveAvgPool2d)] = ExportAdaptiveAvgPool2d,
        [typeof(Flatten)] = ExportFlatten,
        [typeof(Dropout)] = ExportIdentity,
        [typeof(Identity)] = ExportIdentity,
        [typeof(Softmax)] = ExportSoftmax,
    };

    /// <summary>Exports <paramref name="module"/> (and its children) applied to <paramref name="input"/>.</summary>
    /// <exception cref="DeepSeekTorchException">DSB0071 for a module type with no export, DSB0072 for a setting with none.</exception>
    public static ExportValue Export(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        if (!Exporters.TryGetValue(module.GetType(), out var exporter))
        {
            throw new DeepSeekTorchException(DeepSeekTorchException.UnsupportedModule, path.Display, module.GetType().Name,
                "cannot be exported to ONNX", ExportAdvice);
        }

        return exporter(context, module, path, input);
    }

    private static ExportValue ExportSequential(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var value = input;
        foreach (var (name, child) in module.named_children())
        {
            value = Export(context, child, path.Child(name), value);
        }

        return value;
    }

    private static ExportValue ExportResidualBlock(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var block = (ResidualBlock)module;
        var body = Export(context, block.Body, path.Child("body"), input);
        var shortcut = block.Shortcut is null ? input : Export(context, block.Shortcut, path.Child("shortcut"), input);
        var name = context.Graph.AddNode("Add", path.Stem, [body.Name, shortcut.Name]);
        var sample = body.Sample.add(shortcut.Sample, HeldScalars.One);
        var output = new ExportValue(name, sample, body.HasBatch && shortcut.HasBatch);
        if (block.Relu)
        {
            output = new ExportValue(context.Graph.AddNode("Relu", path.Stem, [name]), nn.functional.relu(sample), output.HasBatch);
        }

        return output;
    }

    private static ExportValue ExportLinear(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var linear = (Linear)module;
        var graph = context.Graph;
        var (outFeatures, inFeatures) = (linear.out_features, linear.in_features);
        var weight = Weights.Read(linear.weight);
        string name;
        if (input.Sample.dim() == 2)
        {
            // y = x·Wᵀ + b: Gemm reads the weight as stored, [out, in], with transB.
            var inputs = new List<string> { input.Name, graph.AddInitializer(path.Stem + "_weight", weight, [outFeatures, inFeatures]) };
            if (linear.bias is not null)
            {
                inputs.Add(graph.AddInitializer(path.Stem + "_bias", Weights.Read(linear.bias), [outFeatures]));
            }

            name = graph.AddNode("Gemm", path.Stem, inputs, GraphBuilder.Int("transB", 1));
        }
        else
        {
            // Any other rank: MatMul with the transposed weight [in, out] (batched over the leading dims), then Add.
            var transposed = new float[weight.Length];
            for (var o = 0; o < outFeatures; o++)
            {
                for (var i = 0; i < inFeatures; i++)
                {
                    transposed[(i * outFeatures) + o] = weight[(o * inFeatures) + i];
                }
            }

            name = graph.AddNode("MatMul", path.Stem, [input.Name, graph.AddInitializer(path.Stem + "_weight_t", transposed, [inFeatures, outFeatures])]);
            if (linear.bias is not null)
            {
                name = graph.AddNode("Add", path.Stem, [name, graph.AddInitializer(path.Stem + "_bias", Weights.Read(linear.bias), [outFeatures])]);
            }
        }

        return Leaf(module, input, name);
    }

    private static ExportValue ExportConv2d(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var conv = (Conv2d)module;
        RequireImages(module, path, input);
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            throw Unsupported(module, path, $"cannot be exported to ONNX with padding_mode {conv.padding_mode}",
                "use zero padding (PaddingModes.Zeros, the default), or export from PyTorch");
        }

        var kernel = Pair(conv.kernel_size, 1);
        var stride = Pair(conv.stride, 1);
        var dilation = Pair(conv.dilation, 1);
        long[] pads; // [top, left, bottom, right]
        switch (conv.padding_type)
        {
            case Padding.Valid:
                pads = [0, 0, 0, 0];
                break;
            case Padding.Same:
                if (stride[0] != 1 || stride[1] != 1)
                {
                    throw Unsupported(module, path, "cannot be exported to ONNX with Padding.Same and a stride other than 1",
                        "give explicit padding, or export from PyTorch");
                }

                // As PyTorch: the total d·(k−1) split in two, the odd one out at the bottom and the right.
                var totalH = dilation[0] * (kernel[0] - 1);
                var totalW = dilation[1] * (kernel[1] - 1);
                pads = [totalH / 2, totalW / 2, totalH - (totalH / 2), totalW - (totalW / 2)];
                break;
            default:
                var padding = Pair(conv.padding, 0);
                pads = [padding[0], padding[1], padding[0], padding[1]];
                break;
        }

        var graph = context.Graph;
        using var weightTensor = conv.weight!.detach();
        var inputs = new List<string> { input.Name, graph.AddInitializer(path.Stem + "_weight", Weights.Read(weightTensor), weightTensor.shape) };
        if (conv.bias is not null)
        {
            inputs.Add(graph.AddInitializer(path.Stem + "_bias", Weights.Read(conv.bias), [conv.out_channels]));
        }

        var name = graph.AddNode("Conv", path.Stem, inputs,
            GraphBuilder.Ints("kernel_shape", kernel),
            GraphBuilder.Ints("strides", stride),
            GraphBuilder.Ints("pads", pads),
            GraphBuilder.Ints("dilations", dilation),
            GraphBuilder.Int("group", conv.groups));
        return Leaf(module, input, name);
    }

    private static ExportValue ExportBatchNorm2d(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var norm = (BatchNorm2d)module;
        RequireImages(module, path, input);
        if (norm.running_mean is null || norm.running_var is null)
        {
            throw Unsupported(module, path, "cannot be exported to ONNX without running statistics (track_running_stats is false)",
                "train with track_running_stats: true so that inference uses running statistics, or export from PyTorch");
        }

        var graph = context.Graph;
        var channels = norm.num_features;
        var scale = norm.weight is null ? Enumerable.Repeat(1f, (int)channels).ToArray() : Weights.Read(norm.weight);
        var bias = norm.bias is null ? new float[channels] : Weights.Read(norm.bias);
        var name = graph.AddNode("BatchNormalization", path.Stem,
            [
                input.Name,
                graph.AddInitializer(path.Stem + "_weight", scale, [channels]),
                graph.AddInitializer(path.Stem + "_bias", bias, [channels]),
                graph.AddInitializer(path.Stem + "_running_mean", Weights.Read(norm.running_mean), [channels]),
                graph.AddInitializer(path.Stem + "_running_var", Weights.Read(norm.running_var), [channels]),
            ],
            GraphBuilder.Float("epsilon", (float)norm.eps));
        return Leaf(module, input, name);
    }

    private static Exporter Unary(string opType)
        => (context, module, path, input) => Leaf(module, input, context.Graph.AddNode(opType, path.Stem, [input.Name]));

    private static ExportValue ExportGelu(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var tanh = ((GELU)module).approximate == GELU.Approximate.tanh;
        var graph = context.Graph;
        var stem = path.Stem;
        var x = input.Name;
        string name;
        if (context.Opset >= 20)
        {
            name = graph.AddNode("Gelu", stem, [x], GraphBuilder.String("approximate", tanh ? "tanh" : "none"));
        }
        else if (tanh)
        {
            // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            var cube = graph.AddNode("Mul", stem, [graph.AddNode("Mul", stem, [x, x]), x]);
            var inner = graph.AddNode("Add", stem, [x, graph.AddNode("Mul", stem, [cube, graph.Scalar(0.044715f)])]);
            var tanhOut = graph.AddNode("Tanh", stem, [graph.AddNode("Mul", stem, [inner, graph.Scalar((float)Math.Sqrt(2 / Math.PI))])]);
            name = HalfXTimesOnePlus(graph, stem, x, tanhOut);
        }
        else
        {
            // 0.5·x·(1 + erf(x / √2)); opsets before 20 have no Gelu.
            var erf = graph.AddNode("Erf", stem, [graph.AddNode("Div", stem, [x, graph.Scalar((float)Math.Sqrt(2))])]);
            name = HalfXTimesOnePlus(graph, stem, x, erf);
        }

        return Leaf(module, input, name);
    }

    private static string HalfXTimesOnePlus(GraphBuilder graph, string stem, string x, string term)
    {
        var onePlus = graph.AddNode("Add", stem, [term, graph.Scalar(1f)]);
        return graph.AddNode("Mul", stem, [graph.AddNode("Mul", stem, [x, onePlus]), graph.Scalar(0.5f)]);
    }

    private static ExportValue ExportMaxPool2d(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var pool = (MaxPool2d)module;
        RequireImages(module, path, input);
        var output = Leaf(module, input, string.Empty);
        var kernel = Pair(pool.kernel_size, 1);
        var stride = Pair(pool.stride, kernel);
        var dilation = Pair(pool.dilation, 1);
        var (pads, ceil) = PoolPads(input, output, kernel, stride, Pair(pool.padding, 0), dilation, pool.ceil_mode, padsCounted: false);
        var name = context.Graph.AddNode("MaxPool", path.Stem, [input.Name],
            GraphBuilder.Ints("kernel_shape", kernel),
            GraphBuilder.Ints("strides", stride),
            GraphBuilder.Ints("pads", pads),
            GraphBuilder.Ints("dilations", dilation),
            GraphBuilder.Int("ceil_mode", ceil ? 1 : 0));
        return output with { Name = name };
    }

    private static ExportValue ExportAvgPool2d(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var pool = (AvgPool2d)module;
        RequireImages(module, path, input);
        if (pool.divisor_override is not null)
        {
            throw Unsupported(module, path, "cannot be exported to ONNX with divisor_override",
                "remove divisor_override (ONNX AveragePool divides by the window), or export from PyTorch");
        }

        var output = Leaf(module, input, string.Empty);
        var kernel = Pair(pool.kernel_size, 1);
        var stride = Pair(pool.stride, kernel);
        var (pads, ceil) = PoolPads(input, output, kernel, stride, Pair(pool.padding, 0), [1, 1], pool.ceil_mode, pool.count_include_pad);
        var name = context.Graph.AddNode("AveragePool", path.Stem, [input.Name],
            GraphBuilder.Ints("kernel_shape", kernel),
            GraphBuilder.Ints("strides", stride),
            GraphBuilder.Ints("pads", pads),
            GraphBuilder.Int("count_include_pad", pool.count_include_pad ? 1 : 0),
            GraphBuilder.Int("ceil_mode", ceil ? 1 : 0));
        return output with { Name = name };
    }

    /// <summary>
    /// The ONNX pads ([top, left, bottom, right]) and ceil_mode of a pooling. PyTorch's ceil mode drops a last window
    /// that would start in the right padding, which ONNX shape inference does not know of; so where ceil mode adds
    /// windows, they become extra bottom/right padding in floor mode (the same windows, the same result: the extra cells
    /// are never the maximum and never counted). Only where padding is counted (AvgPool count_include_pad) or the
    /// padding would reach the kernel size does ceil_mode stay, which ONNX Runtime computes as PyTorch does.
    /// </summary>
    private static (long[] Pads, bool Ceil) PoolPads(ExportValue input, ExportValue output, long[] kernel, long[] stride, long[] padding,
        long[] dilation, bool ceilMode, bool padsCounted)
    {
        long[] pads = [padding[0], padding[1], padding[0], padding[1]];
        if (!ceilMode)
        {
            return (pads, false);
        }

        for (var axis = 0; axis < 2; axis++)
        {
            var size = input.Sample.shape[axis + 2];
            var outSize = output.Sample.shape[axis + 2];
            var extra = ((outSize - 1) * stride[axis]) + (dilation[axis] * (kernel[axis] - 1)) + 1 - (size + (2 * padding[axis]));
            if (extra <= 0)
            {
                continue;
            }

            if (padsCounted || padding[axis] + extra >= kernel[axis])
            {
                return ([padding[0], padding[1], padding[0], padding[1]], true);
            }

            pads[axis + 2] += extra;
        }

        return (pads, false);
    }

    private static ExportValue ExportAdaptiveAvgPool2d(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        RequireImages(module, path, input);
        var output = Leaf(module, input, string.Empty);
        var (height, width) = (input.Sample.shape[2], input.Sample.shape[3]);
        var (outHeight, outWidth) = (output.Sample.shape[2], output.Sample.shape[3]);
        string name;
        if (outHeight == 1 && outWidth == 1)
        {
            name = context.Graph.AddNode("GlobalAveragePool", path.Stem, [input.Name]);
        }
        else if (height % outHeight == 0 && width % outWidth == 0)
        {
            // Even windows: each output cell averages one (H/h)x(W/w) block, which is a plain AveragePool.
            long[] window = [height / outHeight, width / outWidth];
            name = context.Graph.AddNode("AveragePool", path.Stem, [input.Name],
                GraphBuilder.Ints("kernel_shape", window),
                GraphBuilder.Ints("strides", window));
        }
        else
        {
            throw Unsupported(module, path,
                $"cannot be exported to ONNX with output size {outHeight}x{outWidth} on a {height}x{width} input, which it does not divide",
                "use an output size that divides the input size (or 1x1), or export from PyTorch");
        }

        return output with { Name = name };
    }

    private static ExportValue ExportFlatten(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var flatten = (Flatten)module;
        var shape = input.Sample.shape;
        var rank = Math.Max(shape.Length, 1);
        var start = flatten.start_dim < 0 ? flatten.start_dim + rank : flatten.start_dim;
        var end = flatten.end_dim < 0 ? flatten.end_dim + rank : flatten.end_dim;
        var output = Leaf(module, input, input.Name);
        if (start >= end)
        {
            return output; // nothing to merge: PyTorch returns the input as it is
        }

        string name;
        if (start == 1 && end == rank - 1)
        {
            // ONNX Flatten always makes a matrix [d0·…·d(axis−1), rest], which is PyTorch's only for start_dim 1.
            name = context.Graph.AddNode("Flatten", path.Stem, [input.Name], GraphBuilder.Int("axis", 1));
        }
        else
        {
            // Reshape: 0 keeps the leading dims (the batch among them), −1 is the merged dim, the trailing dims as sampled.
            var target = new List<long>();
            target.AddRange(Enumerable.Repeat(0L, (int)start));
            target.Add(-1);
            target.AddRange(shape.Skip((int)end + 1));
            var shapeName = context.Graph.AddInt64Initializer(path.Stem + "_shape", target.ToArray());
            name = context.Graph.AddNode("Reshape", path.Stem, [input.Name, shapeName]);
        }

        return output with { Name = name, HasBatch = input.HasBatch && start > 0 };
    }

    private static ExportValue ExportIdentity(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
        => input; // Dropout in inference, Identity: no node

    private static ExportValue ExportSoftmax(ExportContext context, nn.Module module, ModulePath path, ExportValue input)
    {
        var softmax = (Softmax)module;
        var name = context.Graph.AddNode("Softmax", path.Stem, [input.Name], GraphBuilder.Int("axis", softmax.dim));
        return Leaf(module, input, name);
    }

    /// <summary>The output value of a leaf module: its ONNX name and what TorchSharp computes for the input sample.</summary>
    private static ExportValue Leaf(nn.Module module, ExportValue input, string name)
        => new(name, ((nn.Module<Tensor, Tensor>)module).call(input.Sample), input.HasBatch);

    private static void RequireImages(nn.Module module, ModulePath path, ExportValue input)
    {
        if (input.Sample.dim() != 4)
        {
            throw Unsupported(module, path, $"cannot be exported to ONNX on a {input.Sample.dim()}-D input; the ONNX operator takes [N,C,H,W]",
                "give a batched [N,C,H,W] sample input, or export from PyTorch");
        }
    }

    /// <summary>A 2-D setting as two values: null is <paramref name="fallback"/>, one value is used for both dims.</summary>
    private static long[] Pair(long[]? values, long fallback) => Pair(values, [fallback, fallback]);

    private static long[] Pair(long[]? values, long[] fallback) => values switch
    {
        null or [] => fallback,
        [var both] => [both, both],
        _ => [values[0], values[1]],
    };

    private static DeepSeekTorchException Unsupported(nn.Module module, ModulePath path, string problem, string action)
        => new(DeepSeekTorchException.UnsupportedSetting, path.Display, module.GetType().Name, problem, action);
}
