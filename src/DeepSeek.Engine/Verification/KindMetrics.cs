namespace DeepSeek.Engine.Verification;

/// <summary>The arithmetic of the kind-specific figures, on plain arrays (tested by hand in EvaluatorMetricsTests).</summary>
public static class KindMetrics
{
    /// <summary>The index of the largest value (the first of equal ones; a NaN never wins).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best] || double.IsNaN(values[best]))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Cosine similarity; 1 when both are zero, 0 when only one is.</summary>
    public static double Cosine(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return Cosine(dot, na, nb);
    }

    /// <summary>Cosine from a dot product and the two squared norms: 1 when both are zero, 0 when only one is.</summary>
    public static double Cosine(double dot, double squaredNormA, double squaredNormB)
        => squaredNormA == 0 && squaredNormB == 0 ? 1 : squaredNormA == 0 || squaredNormB == 0 ? 0 : dot / Math.Sqrt(squaredNormA * squaredNormB);

    /// <summary>Whether a row already holds probabilities (every value in [0, 1], summing to 1 within 1e-3).</summary>
    public static bool IsProbabilities(ReadOnlySpan<double> row)
    {
        double sum = 0;
        foreach (var v in row)
        {
            if (v is < 0 or > 1)
            {
                return false;
            }

            sum += v;
        }

        return Math.Abs(sum - 1) <= 1e-3;
    }

    /// <summary>KL(P‖Q) in nats, P from the original's row, Q from the compressed model's: rows of probabilities are taken as
    /// they are, other rows (logits) through softmax. Probabilities are floored at 1e-12 so that a zero of Q stays finite.</summary>
    public static double KlDivergence(ReadOnlySpan<double> original, ReadOnlySpan<double> compressed)
    {
        var probabilities = IsProbabilities(original);
        var p = probabilities ? original.ToArray() : Softmax(original);
        var q = probabilities ? compressed.ToArray() : Softmax(compressed);
        double kl = 0;
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] > 0)
            {
                kl += p[i] * Math.Log(p[i] / Math.Max(q[i], 1e-12));
            }
        }

        return Math.Max(0, kl);
    }

    /// <summary>Softmax of a row of logits (stable: the largest is subtracted first).</summary>
    public static double[] Softmax(ReadOnlySpan<double> logits)
    {
        var result = new double[logits.Length];
        if (logits.Length == 0)
        {
            return result;
        }

        var max = double.NegativeInfinity;
        foreach (var v in logits)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            sum += result[i];
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }

        return result;
    }

    /// <summary>The mean over <paramref name="positions"/> vectors of <paramref name="width"/> values, weighted by
    /// <paramref name="mask"/> (one weight per position; null: all ones). A mask of zeros gives the plain mean.</summary>
    public static double[] Pool(ReadOnlySpan<double> vectors, int positions, int width, ReadOnlySpan<double> mask)
    {
        var pooled = new double[width];
        double weight = 0;
        var useMask = mask.Length == positions && SumOf(mask) > 0;
        for (var p = 0; p < positions; p++)
        {
            var w = useMask ? mask[p] : 1;
            if (w == 0)
            {
                continue;
            }

            weight += w;
            var row = vectors.Slice(p * width, width);
            for (var i = 0; i < width; i++)
            {
                pooled[i] += w * row[i];
            }
        }

        for (var i = 0; i < width && weight > 0; i++)
        {
            pooled[i] /= weight;
        }

        return pooled;
    }

    /// <summary>How much closer than the original's k-th nearest a neighbour may be left out without counting as lost: a
    /// swap between candidates whose original cosines differ by less is a tie, not a change in what a search returns.</summary>
    public const double NeighbourTie = 0.01;

    /// <summary>
    /// For each vector, its <paramref name="k"/> nearest others by cosine in the compressed model (the same samples through
    /// each model), and the share of them that are near in the original too: among the original's k nearest, or within
    /// <see cref="NeighbourTie"/> of the original's k-th nearest cosine. The mean share over all vectors. Null with fewer than
    /// 3 vectors (no neighbourhood to keep); k is at most the count minus one.
    /// </summary>
    public static double? NeighbourAgreement(IReadOnlyList<double[]> original, IReadOnlyList<double[]> compressed, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        var n = original.Count;
        if (n < 3 || compressed.Count != n)
        {
            return null;
        }

        k = Math.Min(k, n - 1);
        double kept = 0;
        for (var i = 0; i < n; i++)
        {
            var a = Nearest(original, i, k);
            var kth = Cosine(original[i], original[a[^1]]);
            kept += (double)Nearest(compressed, i, k).Count(j => a.Contains(j) || Cosine(original[i], original[j]) >= kth - NeighbourTie) / k;
        }

        return kept / n;
    }

    /// <summary>CTC greedy decoding: the arg-max class per position (positions with a mask weight of 0 skipped), repeats
    /// collapsed, the blank class 0 removed.</summary>
    public static int[] GreedyDecode(ReadOnlySpan<double> scores, int positions, int classes, ReadOnlySpan<double> mask)
    {
        var decoded = new List<int>();
        var previous = -1;
        for (var p = 0; p < positions; p++)
        {
            if (mask.Length == positions && mask[p] == 0)
            {
                continue;
            }

            var best = ArgMax(scores.Slice(p * classes, classes));
            if (best != previous && best != 0)
            {
                decoded.Add(best);
            }

            previous = best;
        }

        return [.. decoded];
    }

    /// <summary>
    /// Mean IoU of two maps of <paramref name="channels"/> × <paramref name="pixels"/> values: with several channels, the
    /// arg-max class per pixel, IoU per class present in either map, averaged; with one channel, the pixels over
    /// <paramref name="threshold"/>. Two maps with nothing in them agree (1).
    /// </summary>
    public static double MeanIoU(ReadOnlySpan<double> original, ReadOnlySpan<double> compressed, int channels, int pixels, double threshold)
    {
        if (channels <= 1)
        {
            long both = 0, either = 0;
            for (var i = 0; i < pixels; i++)
            {
                bool a = original[i] > threshold, b = compressed[i] > threshold;
                both += a && b ? 1 : 0;
                either += a || b ? 1 : 0;
            }

            return either == 0 ? 1 : (double)both / either;
        }

        var intersection = new long[channels];
        var union = new long[channels];
        Span<double> columnA = channels <= 256 ? stackalloc double[channels] : new double[channels];
        Span<double> columnB = channels <= 256 ? stackalloc double[channels] : new double[channels];
        for (var i = 0; i < pixels; i++)
        {
            for (var c = 0; c < channels; c++)
            {
                columnA[c] = original[(c * pixels) + i];
                columnB[c] = compressed[(c * pixels) + i];
            }

            int a = ArgMax(columnA), b = ArgMax(columnB);
            union[a]++;
            if (a == b)
            {
                intersection[a]++;
            }
            else
            {
                union[b]++;
            }
        }

        double sum = 0;
        var present = 0;
        for (var c = 0; c < channels; c++)
        {
            if (union[c] > 0)
            {
                sum += (double)intersection[c] / union[c];
                present++;
            }
        }

        return present == 0 ? 1 : sum / present;
    }

    /// <summary>Σ|a − b| / Σ|a| (0 when both are zero).</summary>
    public static double RelativeL1(ReadOnlySpan<double> original, ReadOnlySpan<double> compressed)
    {
        double difference = 0, size = 0;
        for (var i = 0; i < original.Length; i++)
        {
            difference += Math.Abs(original[i] - compressed[i]);
            size += Math.Abs(original[i]);
        }

        return size == 0 ? (difference == 0 ? 0 : double.PositiveInfinity) : difference / size;
    }

    private static double SumOf(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum;
    }

    private static int[] Nearest(IReadOnlyList<double[]> vectors, int of, int k)
        => Enumerable.Range(0, vectors.Count).Where(j => j != of)
            .OrderByDescending(j => Cosine(vectors[of], vectors[j])).ThenBy(j => j).Take(k).ToArray();
}
