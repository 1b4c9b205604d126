using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Mnist.Trainer;

/// <summary>
/// input[N,1,28,28] → Conv 8x3x3 (pad 1) + bias → Relu → MaxPool 2x2 → Conv 16x3x3 (pad 1) + bias → Relu → MaxPool 2x2
/// → Flatten → MatMul(784x10) + Add → logits[N,10]. Activations are NCHW, one sample at a time.
/// </summary>
internal sealed class Cnn : Network
{
    private const int Size1 = 28;      // conv1's input and output side
    private const int Size2 = 14;      // after the first pool: conv2's input and output side
    private const int Size3 = 7;       // after the second pool
    private const int Channels1 = 8;
    private const int Channels2 = 16;
    private const int Features = Channels2 * Size3 * Size3; // 784
    private const int Classes = 10;

    private readonly float[] w1;
    private readonly float[] b1 = new float[Channels1];
    private readonly float[] w2;
    private readonly float[] b2 = new float[Channels2];
    private readonly float[] w3;
    private readonly float[] b3 = new float[Classes];

    public Cnn(int seed)
    {
        var random = new Random(seed);
        w1 = Uniform(random, Channels1 * 1 * 9, 1 * 9);
        w2 = Uniform(random, Channels2 * Channels1 * 9, Channels1 * 9);
        w3 = Uniform(random, Features * Classes, Features);
        Parameters =
        [
            new("conv1.weight", w1, [Channels1, 1, 3, 3]), new("conv1.bias", b1, [Channels1]),
            new("conv2.weight", w2, [Channels2, Channels1, 3, 3]), new("conv2.bias", b2, [Channels2]),
            new("fc.weight", w3, [Features, Classes]), new("fc.bias", b3, [Classes]),
        ];
    }

    public override string Name => "mnist-cnn";

    public override string Architecture =>
        "input [N,1,28,28] → Conv 8x3x3 pad 1 + bias → Relu → MaxPool 2x2 → Conv 16x3x3 pad 1 + bias → Relu → MaxPool 2x2 → Flatten → MatMul 784x10 + Add → logits [N,10]";

    public override long[] InputShape => [1, Size1, Size1];

    public override IReadOnlyList<Parameter> Parameters { get; }

    public override Workspace CreateWorkspace() => new CnnWorkspace(Parameters);

    public override void Forward(float[] image, Workspace workspace)
    {
        var ws = (CnnWorkspace)workspace;
        Conv3x3(image, 1, Size1, w1, b1, Channels1, ws.Conv1);
        Relu(ws.Conv1);
        MaxPool2x2(ws.Conv1, Channels1, Size1, ws.Pool1, ws.Pool1Source);
        Conv3x3(ws.Pool1, Channels1, Size2, w2, b2, Channels2, ws.Conv2);
        Relu(ws.Conv2);
        MaxPool2x2(ws.Conv2, Channels2, Size2, ws.Pool2, ws.Pool2Source);

        var logits = ws.Logits;
        b3.CopyTo(logits, 0);
        var features = ws.Pool2; // Flatten of [16,7,7] in C,H,W order, as ONNX Flatten gives
        for (var i = 0; i < Features; i++)
        {
            var f = features[i];
            if (f == 0f)
            {
                continue;
            }

            var row = w3.AsSpan(i * Classes, Classes);
            for (var k = 0; k < row.Length; k++)
            {
                logits[k] += f * row[k];
            }
        }
    }

    public override float Accumulate(float[] image, int label, Workspace workspace)
    {
        var ws = (CnnWorkspace)workspace;
        Forward(image, ws);
        var loss = SoftmaxCrossEntropy(ws, label);
        var dLogits = ws.LogitGradient;
        var g = ws.Gradients;

        // fc: dW3 += features^T dLogits, dFeatures = W3 dLogits
        for (var k = 0; k < Classes; k++)
        {
            g[5][k] += dLogits[k];
        }

        var features = ws.Pool2;
        var dFeatures = ws.Pool2Gradient;
        for (var i = 0; i < Features; i++)
        {
            var row = w3.AsSpan(i * Classes, Classes);
            var gradientRow = g[4].AsSpan(i * Classes, Classes);
            var f = features[i];
            var sum = 0f;
            for (var k = 0; k < Classes; k++)
            {
                gradientRow[k] += f * dLogits[k];
                sum += row[k] * dLogits[k];
            }

            dFeatures[i] = sum;
        }

        // pool2 and relu2 back to conv2's output, then conv2 back to its weights and to pool1
        MaxPool2x2Backward(dFeatures, ws.Pool2Source, ws.Conv2, ws.Conv2Gradient);
        Conv3x3Backward(ws.Pool1, Channels1, Size2, w2, Channels2, ws.Conv2Gradient, g[2], g[3], ws.Pool1Gradient);

        // pool1 and relu1 back to conv1's output, then conv1 back to its weights (the image needs no gradient)
        MaxPool2x2Backward(ws.Pool1Gradient, ws.Pool1Source, ws.Conv1, ws.Conv1Gradient);
        Conv3x3Backward(image, 1, Size1, w1, Channels1, ws.Conv1Gradient, g[0], g[1], null);
        return loss;
    }

    public override void AddToGraph(GraphProto graph)
    {
        OnnxExport.Initializers(graph, Parameters);
        OnnxExport.Node(graph, "Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"],
            OnnxExport.Ints("kernel_shape", 3, 3), OnnxExport.Ints("pads", 1, 1, 1, 1), OnnxExport.Ints("strides", 1, 1));
        OnnxExport.Node(graph, "Relu", ["conv1"], ["relu1"]);
        OnnxExport.Node(graph, "MaxPool", ["relu1"], ["pool1"], OnnxExport.Ints("kernel_shape", 2, 2), OnnxExport.Ints("strides", 2, 2));
        OnnxExport.Node(graph, "Conv", ["pool1", "conv2.weight", "conv2.bias"], ["conv2"],
            OnnxExport.Ints("kernel_shape", 3, 3), OnnxExport.Ints("pads", 1, 1, 1, 1), OnnxExport.Ints("strides", 1, 1));
        OnnxExport.Node(graph, "Relu", ["conv2"], ["relu2"]);
        OnnxExport.Node(graph, "MaxPool", ["relu2"], ["pool2"], OnnxExport.Ints("kernel_shape", 2, 2), OnnxExport.Ints("strides", 2, 2));
        OnnxExport.Node(graph, "Flatten", ["pool2"], ["flatten"], OnnxExport.Int("axis", 1));
        OnnxExport.Node(graph, "MatMul", ["flatten", "fc.weight"], ["fc.matmul"]);
        OnnxExport.Node(graph, "Add", ["fc.matmul", "fc.bias"], ["logits"]);
    }

    /// <summary>A 3x3 convolution, stride 1, zero padding 1 (output side = input side), plus bias: [inC,s,s] → [outC,s,s].</summary>
    private static void Conv3x3(float[] input, int inChannels, int size, float[] weights, float[] bias, int outChannels, float[] output)
    {
        var area = size * size;
        for (var oc = 0; oc < outChannels; oc++)
        {
            var outMap = output.AsSpan(oc * area, area);
            outMap.Fill(bias[oc]);
            for (var ic = 0; ic < inChannels; ic++)
            {
                for (var ky = 0; ky < 3; ky++)
                {
                    for (var kx = 0; kx < 3; kx++)
                    {
                        var w = weights[(((oc * inChannels) + ic) * 9) + (ky * 3) + kx];
                        var (dy, dx) = (ky - 1, kx - 1);
                        var (x0, x1) = (Math.Max(0, -dx), Math.Min(size, size - dx));
                        for (int y = Math.Max(0, -dy), y1 = Math.Min(size, size - dy); y < y1; y++)
                        {
                            var outRow = outMap.Slice((y * size) + x0, x1 - x0);
                            var inRow = input.AsSpan((ic * area) + ((y + dy) * size) + x0 + dx, x1 - x0);
                            for (var x = 0; x < outRow.Length; x++)
                            {
                                outRow[x] += w * inRow[x];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Conv3x3"/> given the gradient of its output: adds to the weight and bias gradients and,
    /// when <paramref name="inputGradient"/> is not null, overwrites it with the gradient of the input.
    /// </summary>
    private static void Conv3x3Backward(float[] input, int inChannels, int size, float[] weights, int outChannels,
        float[] outputGradient, float[] weightGradient, float[] biasGradient, float[]? inputGradient)
    {
        var area = size * size;
        if (inputGradient is not null)
        {
            Array.Clear(inputGradient);
        }

        for (var oc = 0; oc < outChannels; oc++)
        {
            var dOut = outputGradient.AsSpan(oc * area, area);
            var biasSum = 0f;
            foreach (var d in dOut)
            {
                biasSum += d;
            }

            biasGradient[oc] += biasSum;
            for (var ic = 0; ic < inChannels; ic++)
            {
                for (var ky = 0; ky < 3; ky++)
                {
                    for (var kx = 0; kx < 3; kx++)
                    {
                        var index = (((oc * inChannels) + ic) * 9) + (ky * 3) + kx;
                        var w = weights[index];
                        var (dy, dx) = (ky - 1, kx - 1);
                        var (x0, x1) = (Math.Max(0, -dx), Math.Min(size, size - dx));
                        var sum = 0f;
                        for (int y = Math.Max(0, -dy), y1 = Math.Min(size, size - dy); y < y1; y++)
                        {
                            var dRow = dOut.Slice((y * size) + x0, x1 - x0);
                            var start = (ic * area) + ((y + dy) * size) + x0 + dx;
                            var inRow = input.AsSpan(start, x1 - x0);
                            for (var x = 0; x < dRow.Length; x++)
                            {
                                sum += dRow[x] * inRow[x];
                            }

                            if (inputGradient is not null)
                            {
                                var dInRow = inputGradient.AsSpan(start, x1 - x0);
                                for (var x = 0; x < dRow.Length; x++)
                                {
                                    dInRow[x] += w * dRow[x];
                                }
                            }
                        }

                        weightGradient[index] += sum;
                    }
                }
            }
        }
    }

    private static void Relu(float[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Math.Max(values[i], 0f);
        }
    }

    /// <summary>2x2 max pooling, stride 2: [c,s,s] → [c,s/2,s/2]; <paramref name="source"/> keeps where each maximum came from.</summary>
    private static void MaxPool2x2(float[] input, int channels, int size, float[] output, int[] source)
    {
        var half = size / 2;
        var o = 0;
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < half; y++)
            {
                for (var x = 0; x < half; x++, o++)
                {
                    var top = (c * size * size) + (2 * y * size) + (2 * x);
                    var best = top;
                    foreach (var candidate in (ReadOnlySpan<int>)[top + 1, top + size, top + size + 1])
                    {
                        if (input[candidate] > input[best])
                        {
                            best = candidate;
                        }
                    }

                    output[o] = input[best];
                    source[o] = best;
                }
            }
        }
    }

    /// <summary>
    /// Backward of max pooling and of the Relu before it: the gradient of the Relu's input, which is the pooled gradient at
    /// each maximum where the Relu passed a positive value, and 0 everywhere else.
    /// </summary>
    private static void MaxPool2x2Backward(float[] outputGradient, int[] source, float[] reluOutput, float[] inputGradient)
    {
        Array.Clear(inputGradient);
        for (var o = 0; o < outputGradient.Length; o++)
        {
            var s = source[o];
            if (reluOutput[s] > 0f)
            {
                inputGradient[s] = outputGradient[o];
            }
        }
    }

    private sealed class CnnWorkspace(IReadOnlyList<Parameter> parameters) : Workspace(parameters)
    {
        public float[] Conv1 { get; } = new float[Channels1 * Size1 * Size1];

        public float[] Conv1Gradient { get; } = new float[Channels1 * Size1 * Size1];

        public float[] Pool1 { get; } = new float[Channels1 * Size2 * Size2];

        public int[] Pool1Source { get; } = new int[Channels1 * Size2 * Size2];

        public float[] Pool1Gradient { get; } = new float[Channels1 * Size2 * Size2];

        public float[] Conv2 { get; } = new float[Channels2 * Size2 * Size2];

        public float[] Conv2Gradient { get; } = new float[Channels2 * Size2 * Size2];

        public float[] Pool2 { get; } = new float[Features];

        public int[] Pool2Source { get; } = new int[Features];

        public float[] Pool2Gradient { get; } = new float[Features];
    }
}
