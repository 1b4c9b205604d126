using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Mnist.Trainer;

/// <summary>input[N,784] → MatMul(784x128) + Add → Relu → MatMul(128x10) + Add → logits[N,10].</summary>
internal sealed class Mlp : Network
{
    private const int InputSize = 784;
    private const int HiddenSize = 128;
    private const int Classes = 10;

    private readonly float[] w1;
    private readonly float[] b1 = new float[HiddenSize];
    private readonly float[] w2;
    private readonly float[] b2 = new float[Classes];

    public Mlp(int seed)
    {
        var random = new Random(seed);
        w1 = Uniform(random, InputSize * HiddenSize, InputSize);
        w2 = Uniform(random, HiddenSize * Classes, HiddenSize);
        Parameters =
        [
            new("fc1.weight", w1, [InputSize, HiddenSize]), new("fc1.bias", b1, [HiddenSize]),
            new("fc2.weight", w2, [HiddenSize, Classes]), new("fc2.bias", b2, [Classes]),
        ];
    }

    public override string Name => "mnist-mlp";

    public override string Architecture => "input [N,784] → MatMul 784x128 + Add → Relu → MatMul 128x10 + Add → logits [N,10]";

    public override long[] InputShape => [InputSize];

    public override IReadOnlyList<Parameter> Parameters { get; }

    public override Workspace CreateWorkspace() => new MlpWorkspace(Parameters);

    public override void Forward(float[] image, Workspace workspace)
    {
        var ws = (MlpWorkspace)workspace;
        var hidden = ws.Hidden;
        b1.CopyTo(hidden, 0);
        for (var i = 0; i < InputSize; i++)
        {
            var x = image[i];
            if (x == 0f)
            {
                continue; // most MNIST pixels are background
            }

            var row = w1.AsSpan(i * HiddenSize, HiddenSize);
            for (var j = 0; j < row.Length; j++)
            {
                hidden[j] += x * row[j];
            }
        }

        for (var j = 0; j < HiddenSize; j++)
        {
            hidden[j] = Math.Max(hidden[j], 0f);
        }

        var logits = ws.Logits;
        b2.CopyTo(logits, 0);
        for (var j = 0; j < HiddenSize; j++)
        {
            var h = hidden[j];
            if (h == 0f)
            {
                continue;
            }

            var row = w2.AsSpan(j * Classes, Classes);
            for (var k = 0; k < row.Length; k++)
            {
                logits[k] += h * row[k];
            }
        }
    }

    public override float Accumulate(float[] image, int label, Workspace workspace)
    {
        var ws = (MlpWorkspace)workspace;
        Forward(image, ws);
        var loss = SoftmaxCrossEntropy(ws, label);
        var dLogits = ws.LogitGradient;
        var (dw1, db1, dw2, db2) = (ws.Gradients[0], ws.Gradients[1], ws.Gradients[2], ws.Gradients[3]);
        var hidden = ws.Hidden;
        var dHidden = ws.HiddenGradient;
        for (var k = 0; k < Classes; k++)
        {
            db2[k] += dLogits[k];
        }

        for (var j = 0; j < HiddenSize; j++)
        {
            var h = hidden[j];
            if (h == 0f)
            {
                dHidden[j] = 0f; // Relu passes no gradient where it output 0
                continue;
            }

            var row = w2.AsSpan(j * Classes, Classes);
            var gradientRow = dw2.AsSpan(j * Classes, Classes);
            var sum = 0f;
            for (var k = 0; k < Classes; k++)
            {
                gradientRow[k] += h * dLogits[k];
                sum += row[k] * dLogits[k];
            }

            dHidden[j] = sum;
            db1[j] += sum;
        }

        for (var i = 0; i < InputSize; i++)
        {
            var x = image[i];
            if (x == 0f)
            {
                continue;
            }

            var gradientRow = dw1.AsSpan(i * HiddenSize, HiddenSize);
            for (var j = 0; j < gradientRow.Length; j++)
            {
                gradientRow[j] += x * dHidden[j];
            }
        }

        return loss;
    }

    public override void AddToGraph(GraphProto graph)
    {
        OnnxExport.Initializers(graph, Parameters);
        OnnxExport.Node(graph, "MatMul", ["input", "fc1.weight"], ["fc1.matmul"]);
        OnnxExport.Node(graph, "Add", ["fc1.matmul", "fc1.bias"], ["fc1"]);
        OnnxExport.Node(graph, "Relu", ["fc1"], ["relu1"]);
        OnnxExport.Node(graph, "MatMul", ["relu1", "fc2.weight"], ["fc2.matmul"]);
        OnnxExport.Node(graph, "Add", ["fc2.matmul", "fc2.bias"], ["logits"]);
    }

    private sealed class MlpWorkspace(IReadOnlyList<Parameter> parameters) : Workspace(parameters)
    {
        public float[] Hidden { get; } = new float[HiddenSize];

        public float[] HiddenGradient { get; } = new float[HiddenSize];
    }
}
