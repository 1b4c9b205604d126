using DeepSeek.Engine.Data;
using DeepSeek.Engine.Runtime;

namespace DeepSeek.Engine.Verification;

/// <summary>Runs the original and the compressed model on the same samples and measures how far apart their outputs are.</summary>
public static class Evaluator
{
    /// <summary>Compares every float output over <paramref name="samples"/>; labels (one per row) give accuracies.</summary>
    public static EvaluationResult Compare(ModelSession original, ModelSession compressed, IReadOnlyList<IReadOnlyDictionary<string, TensorValue>> samples,
        IReadOnlyList<long>? labels, string dataSource, string file, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        ArgumentNullException.ThrowIfNull(samples);
        var names = original.OutputNames;
        var accumulators = names.ToDictionary(n => n, _ => new Accumulator(), StringComparer.Ordinal);
        long correctOriginal = 0, correctCompressed = 0, labelled = 0;
        var rowIndex = 0;
        for (var s = 0; s < samples.Count; s++)
        {
            progress?.Report($"evaluating {s + 1}/{samples.Count}");
            var a = original.Run(samples[s], null, file);
            var b = compressed.Run(samples[s], names, file);
            var firstRows = 0;
            for (var o = 0; o < names.Count; o++)
            {
                var name = names[o];
                if (a[name].Data is not float[] x || b[name].Data is not float[] y || x.Length != y.Length)
                {
                    continue;
                }

                var rows = Rows(a[name].Shape, x.Length);
                var width = x.Length / rows;
                for (var r = 0; r < rows; r++)
                {
                    var (argA, argB) = accumulators[name].Add(x.AsSpan(r * width, width), y.AsSpan(r * width, width));
                    if (o == 0 && labels is not null && rowIndex + r < labels.Count)
                    {
                        labelled++;
                        correctOriginal += argA == labels[rowIndex + r] ? 1 : 0;
                        correctCompressed += argB == labels[rowIndex + r] ? 1 : 0;
                    }
                }

                if (o == 0)
                {
                    firstRows = rows;
                }
            }

            rowIndex += Math.Max(1, firstRows);
        }

        var metrics = names.Where(n => accumulators[n].Rows > 0).Select(n => accumulators[n].Result(n)).ToArray();
        return new EvaluationResult(samples.Count, rowIndex, dataSource, metrics,
            labelled > 0 ? (double)correctOriginal / labelled : null,
            labelled > 0 ? (double)correctCompressed / labelled : null);
    }

    private static int Rows(IReadOnlyList<long> shape, int length)
        => shape.Count >= 2 && shape[0] > 1 && length % shape[0] == 0 ? (int)shape[0] : 1;

    private sealed class Accumulator
    {
        private double cosineSum;
        private double minCosine = 1;
        private double maxAbs;
        private double maxRel;
        private int agree;

        public int Rows { get; private set; }

        public (int ArgA, int ArgB) Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        {
            double dot = 0, na = 0, nb = 0, peak = 0, worst = 0;
            int argA = 0, argB = 0;
            for (var i = 0; i < a.Length; i++)
            {
                dot += (double)a[i] * b[i];
                na += (double)a[i] * a[i];
                nb += (double)b[i] * b[i];
                peak = Math.Max(peak, Math.Abs(a[i]));
                worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
                if (a[i] > a[argA])
                {
                    argA = i;
                }

                if (b[i] > b[argB])
                {
                    argB = i;
                }
            }

            var cosine = na == 0 && nb == 0 ? 1 : na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
            cosineSum += cosine;
            minCosine = Math.Min(minCosine, cosine);
            maxAbs = Math.Max(maxAbs, worst);
            maxRel = Math.Max(maxRel, peak > 0 ? worst / peak : worst);
            agree += argA == argB ? 1 : 0;
            Rows++;
            return (argA, argB);
        }

        public OutputMetrics Result(string name) => new(name, cosineSum / Rows, minCosine, maxAbs, maxRel, (double)agree / Rows);
    }
}
