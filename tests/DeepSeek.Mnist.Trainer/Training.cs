using System.Diagnostics;
using System.Globalization;
using DeepSeek.Testing;

namespace DeepSeek.Mnist.Trainer;

/// <summary>How a network is trained (all of it goes into the README).</summary>
/// <param name="Epochs">Passes over the 8,000 training digits.</param>
/// <param name="BatchSize">Digits per Adam step (the last batch of an epoch may be smaller).</param>
/// <param name="LearningRate">Adam's step size in the first epoch.</param>
/// <param name="Decay">The step size is multiplied by this after every epoch.</param>
/// <param name="MaxShift">Augmentation: each time a training digit is used, its image is moved by a random whole number of
/// pixels from -MaxShift to MaxShift in each direction (background fills the edge); 0 for none.</param>
/// <param name="Seed">Seeds the weights (<c>new Random(Seed)</c>) and the epochs' shuffles and shifts (<c>new Random(Seed + 1)</c>).</param>
internal sealed record TrainingOptions(int Epochs, int BatchSize, float LearningRate, float Decay, int MaxShift, int Seed)
{
    /// <summary>Each batch is split into this many fixed chunks, summed in order: the result does not depend on the thread count.</summary>
    public const int Chunks = 8;

    public string Describe()
    {
        var shift = MaxShift > 0 ? $"each training image shifted by a random -{MaxShift}..{MaxShift} pixels in x and in y every time it is used, " : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"Adam (β1 0.9, β2 0.999, ε 1e-8), learning rate {LearningRate} multiplied by {Decay} after each epoch, batch {BatchSize}, {Epochs} epochs, softmax cross-entropy, {shift}seed {Seed}");
    }
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
        var shifts = new (int X, int Y)[digits.Count];
        var learningRate = (double)options.LearningRate;
        var step = 0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            shuffle.Shuffle(order);
            for (var i = 0; i < shifts.Length; i++)
            {
                shifts[i] = options.MaxShift == 0 ? (0, 0)
                    : (shuffle.Next(-options.MaxShift, options.MaxShift + 1), shuffle.Next(-options.MaxShift, options.MaxShift + 1));
            }

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
                        var image = shifts[i] == (0, 0) ? digit.Image : Shift(digit.Image, shifts[i], workspace.Input);
                        sum += network.Accumulate(image, digit.Label, workspace);
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

    /// <summary>Writes <paramref name="image"/> moved by <paramref name="shift"/> pixels into <paramref name="output"/>; pixels moved in from outside are 0.</summary>
    private static float[] Shift(float[] image, (int X, int Y) shift, float[] output)
    {
        const int side = MnistDigits.Side;
        Array.Clear(output);
        for (var y = Math.Max(0, shift.Y); y < Math.Min(side, side + shift.Y); y++)
        {
            var x0 = Math.Max(0, shift.X);
            var x1 = Math.Min(side, side + shift.X);
            image.AsSpan(((y - shift.Y) * side) + x0 - shift.X, x1 - x0).CopyTo(output.AsSpan((y * side) + x0));
        }

        return output;
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
