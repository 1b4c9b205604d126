using DeepSeek.Onnx.Protobuf;
using DeepSeek.Testing;

namespace DeepSeek.Mnist.Trainer;

/// <summary>A trainable weight: its ONNX initializer name, its values (row-major) and its ONNX dims.</summary>
internal sealed record Parameter(string Name, float[] Value, long[] Dims);

/// <summary>Per-thread buffers: activations of the sample in flight and gradients summed over a chunk of a batch.</summary>
internal abstract class Workspace
{
    protected Workspace(IReadOnlyList<Parameter> parameters)
    {
        Gradients = parameters.Select(p => new float[p.Value.Length]).ToArray();
    }

    /// <summary>One gradient array per parameter, in <see cref="Network.Parameters"/> order.</summary>
    public float[][] Gradients { get; }

    /// <summary>The training image as the network sees it (shifted when the training augments).</summary>
    public float[] Input { get; } = new float[MnistDigits.ImageSize];

    public float[] Logits { get; } = new float[10];

    public float[] LogitGradient { get; } = new float[10];

    /// <summary>Training samples classified correctly since the last <see cref="Clear"/>.</summary>
    public int Correct { get; set; }

    public void Clear()
    {
        foreach (var gradient in Gradients)
        {
            Array.Clear(gradient);
        }

        Correct = 0;
    }
}

/// <summary>A digit classifier trained one sample at a time (gradients are summed by the trainer).</summary>
internal abstract class Network
{
    /// <summary>The model's file name stem, for example <c>mnist-mlp</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line: the layers, as the README shows them.</summary>
    public abstract string Architecture { get; }

    /// <summary>The input shape after the batch dim N (<c>[784]</c> or <c>[1,28,28]</c>).</summary>
    public abstract long[] InputShape { get; }

    public abstract IReadOnlyList<Parameter> Parameters { get; }

    public int ParameterCount => Parameters.Sum(p => p.Value.Length);

    public abstract Workspace CreateWorkspace();

    /// <summary>Computes <see cref="Workspace.Logits"/> for one image.</summary>
    public abstract void Forward(float[] image, Workspace workspace);

    /// <summary>Forward and backward for one sample: adds the gradient of its softmax cross-entropy loss to <see cref="Workspace.Gradients"/>.</summary>
    /// <returns>The sample's loss.</returns>
    public abstract float Accumulate(float[] image, int label, Workspace workspace);

    /// <summary>The graph's nodes and initializers (inputs, outputs and the model header are added by <see cref="OnnxExport"/>).</summary>
    public abstract void AddToGraph(GraphProto graph);

    public int Predict(float[] image, Workspace workspace)
    {
        Forward(image, workspace);
        return ArgMax(workspace.Logits);
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// Softmax cross-entropy of <see cref="Workspace.Logits"/> against <paramref name="label"/>: fills
    /// <see cref="Workspace.LogitGradient"/> with softmax - one-hot, counts a correct prediction, returns the loss.
    /// </summary>
    protected static float SoftmaxCrossEntropy(Workspace workspace, int label)
    {
        var logits = workspace.Logits;
        var gradient = workspace.LogitGradient;
        var best = ArgMax(logits);
        var max = logits[best];
        if (best == label)
        {
            workspace.Correct++;
        }

        var sum = 0f;
        for (var k = 0; k < logits.Length; k++)
        {
            gradient[k] = MathF.Exp(logits[k] - max);
            sum += gradient[k];
        }

        for (var k = 0; k < logits.Length; k++)
        {
            gradient[k] /= sum;
        }

        gradient[label] -= 1f;
        return MathF.Log(sum) - (logits[label] - max);
    }

    /// <summary>Weights drawn from U(-bound, bound) (bound sqrt(6 / fan_in): He/Kaiming uniform for ReLU layers).</summary>
    protected static float[] Uniform(Random random, int count, int fanIn)
    {
        var bound = Math.Sqrt(6.0 / fanIn);
        var weights = new float[count];
        for (var i = 0; i < count; i++)
        {
            weights[i] = (float)(((random.NextDouble() * 2) - 1) * bound);
        }

        return weights;
    }
}
