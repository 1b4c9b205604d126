using System.Diagnostics;
using System.Globalization;
using DeepSeek.Testing;

namespace DeepSeek.Mnist.Trainer;

/// <summary>How a network is trained (all of it goes into the README).</summary>
/// <param name="Epochs">Passes over the 8,000 training digits.</param>
/// <param name="BatchSize">Digits per Adam step (the last batch of an epoch may be smaller).</param>
/// <param name="LearningRate">Adam's step size in the first epoch.</param>
/// <param name="Decay">The step size is multiplied by this after every epoch.</param>
/// <param name="Seed">Seeds the weights (<c>new Random(Seed)</c>) and the epochs' shuffles (<c>new Random(Seed + 1)</c>).</param>
internal sealed record TrainingOptions(int Epochs, int BatchSize, float LearningRate, float Decay, int Seed)
{
    /// <summary>Each batch is split into this many fixed chunks, summed in order: the result does not depend on the thread count.</summary>
    public const int Chunks = 8;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Adam (β1 0.9, β2 0.999, ε 1e-8), learning rate {LearningRate} multiplied by {Decay} after each epoch, batch {BatchSize}, {Epochs} epochs, softmax cross-entropy, seed {Seed}");
}

/// <summary>Minibatch training with Adam; deterministic for a given seed (fixed chunks, fixed summation order).</summary>
internal static class Training
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    public static TimeSpan Train(Network network, IReadOnlyList<MnistDigit> digits, TrainingOptions options, TextWriter log)
    {
        var stopwatch = Stopwatch.StartNew();
        var parameters = network.Parameters;
        var workspaces = Enumerable.Range(0, TrainingOptions.Chunks).Select(_ => network.CreateWorkspace()).ToArray();
        var chunkLoss = new double[TrainingOptions.Chunks];
        var gradients = parameters.Select(p => new float[p.Value.Length]).ToArray();
        var m = parameters.Select(p => new float[p.Value.Length]).ToArray();
        var v = parameters.Select(p => new float[p.Value.Length]).ToArray();
        var shuffle = new Random(options.Seed + 1);
        var order = Enumerable.Range(0, digits.Count).ToArray();
        var learningRate = (double)options.LearningRate;
        var step = 0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            shuffle.Shuffle(order);
            double loss = 0;
            var correct = 0;
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var count = Math.Min(options.BatchSize, order.Length - start);
                Parallel.For(0, TrainingOptions.Chunks, chunk =>
                {
                    var workspace = workspaces[chunk];
                    workspace.Clear();
                    double sum = 0;
                    for (int i = start + (chunk * count / TrainingOptions.Chunks), end = start + ((chunk + 1) * count / TrainingOptions.Chunks); i < end; i++)
                    {
                        var digit = digits[order[i]];
                        sum += network.Accumulate(digit.Image, digit.Label, workspace);
                    }

                    chunkLoss[chunk] = sum;
                });

                for (var chunk = 0; chunk < TrainingOptions.Chunks; chunk++)
                {
                    loss += chunkLoss[chunk];
                    correct += workspaces[chunk].Correct;
                }

                // Sum the chunks' gradients in chunk order, average over the batch, take an Adam step.
                step++;
                var scale = 1f / count;
                var stepSize = (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, step)) / (1 - Math.Pow(Beta1, step)));
                Parallel.For(0, parameters.Count, p =>
                {
                    var gradient = gradients[p];
                    Array.Clear(gradient);
                    foreach (var workspace in workspaces)
                    {
                        var part = workspace.Gradients[p];
                        for (var k = 0; k < gradient.Length; k++)
                        {
                            gradient[k] += part[k];
                        }
                    }

                    var (weights, mp, vp) = (parameters[p].Value, m[p], v[p]);
                    for (var k = 0; k < weights.Length; k++)
                    {
                        var g = gradient[k] * scale;
                        mp[k] = (Beta1 * mp[k]) + ((1 - Beta1) * g);
                        vp[k] = (Beta2 * vp[k]) + ((1 - Beta2) * g * g);
                        weights[k] -= stepSize * mp[k] / (MathF.Sqrt(vp[k]) + Epsilon);
                    }
                });
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {epoch}/{options.Epochs}: loss {loss / order.Length:F4}, training accuracy {100.0 * correct / order.Length:F2}%, learning rate {learningRate:G3}, {stopwatch.Elapsed.TotalSeconds:F1} s"));
            learningRate *= options.Decay;
        }

        return stopwatch.Elapsed;
    }

    /// <summary>The network's prediction for every digit, in order.</summary>
    public static int[] Predict(Network network, IReadOnlyList<MnistDigit> digits)
    {
        var predictions = new int[digits.Count];
        Parallel.For(0, TrainingOptions.Chunks, () => network.CreateWorkspace(), (chunk, _, workspace) =>
        {
            for (int i = chunk * digits.Count / TrainingOptions.Chunks, end = (chunk + 1) * digits.Count / TrainingOptions.Chunks; i < end; i++)
            {
                predictions[i] = network.Predict(digits[i].Image, workspace);
            }

            return workspace;
        }, _ => { });
        return predictions;
    }
}
