namespace DeepSeek.Engine.Verification;

/// <summary>
/// Gathers one output's kind-specific figures over the samples (docs/recipes.md, "Output kinds and budgets"). Layouts:
/// classification and embedding rows are the first dimension (a rank-3 embedding output is [batch, sequence, width],
/// pooled per row); sequence and language-model outputs are [batch, positions, classes] (rank 2: [positions, classes]);
/// dense outputs are [batch, channels, height, width] (rank 3: one channel).
/// </summary>
internal sealed class KindAccumulator(OutputKind kind)
{
    private readonly List<double[]> pooledOriginal = [];
    private readonly List<double[]> pooledCompressed = [];
    private double klSum;
    private long klCount;
    private long positions;
    private long positionsAgreeing;
    private long decodedRows;
    private long decodedEqual;
    private double iouSum;
    private double l1Sum;
    private long denseRows;
    private double pooledCosineSum;
    private double pooledCosineMin = double.PositiveInfinity;

    /// <summary>Adds one sample's output in both models.</summary>
    /// <param name="a">The original's values.</param>
    /// <param name="b">The compressed model's values.</param>
    /// <param name="shape">The output's shape.</param>
    /// <param name="mask">The sample's attention mask, [batch, sequence] flattened, or null.</param>
    public void Add(double[] a, double[] b, IReadOnlyList<long> shape, double[]? mask)
    {
        switch (kind)
        {
            case OutputKind.Classification:
                foreach (var (offset, width) in Rows(shape, a.Length))
                {
                    klSum += KindMetrics.KlDivergence(a.AsSpan(offset, width), b.AsSpan(offset, width));
                    klCount++;
                }

                break;
            case OutputKind.Embedding:
                AddEmbedding(a, b, shape, mask);
                break;
            case OutputKind.Sequence or OutputKind.LanguageModel:
                AddPositions(a, b, shape, mask);
                break;
            case OutputKind.Dense:
                AddDense(a, b, shape);
                break;
        }
    }

    /// <summary>The metrics with this kind's figures filled in.</summary>
    public OutputMetrics Complete(OutputMetrics metrics) => kind switch
    {
        OutputKind.Classification => metrics with { KlDivergence = klCount > 0 ? klSum / klCount : null },
        OutputKind.Embedding => metrics with
        {
            PooledCosine = pooledOriginal.Count > 0 ? pooledCosineSum / pooledOriginal.Count : null,
            MinPooledCosine = pooledOriginal.Count > 0 ? pooledCosineMin : null,
            NeighbourAgreement = KindMetrics.NeighbourAgreement(pooledOriginal, pooledCompressed),
            PooledVectors = pooledOriginal.Count,
        },
        OutputKind.Sequence => metrics with
        {
            PositionAgreement = positions > 0 ? (double)positionsAgreeing / positions : null,
            DecodedAgreement = decodedRows > 0 ? (double)decodedEqual / decodedRows : null,
        },
        OutputKind.LanguageModel => metrics with
        {
            PositionAgreement = positions > 0 ? (double)positionsAgreeing / positions : null,
            KlDivergence = klCount > 0 ? klSum / klCount : null,
        },
        OutputKind.Dense => metrics with
        {
            MeanIoU = denseRows > 0 ? iouSum / denseRows : null,
            RelativeL1 = denseRows > 0 ? l1Sum / denseRows : null,
        },
        _ => metrics,
    };

    private void AddEmbedding(double[] a, double[] b, IReadOnlyList<long> shape, double[]? mask)
    {
        // [batch, sequence, width] is pooled over the sequence; an image model's [N, C, H, W] features are one vector per row
        // (pooling its C channels as a "sequence" of width-1 vectors would compare scalars, cosine 1 whatever they hold).
        if (shape.Count == 3 && shape[0] > 0 && shape[1] > 0 && a.Length > 0)
        {
            int batch = (int)shape[0], sequence = (int)shape[1], width = a.Length / (batch * sequence);
            var rowMask = mask is not null && mask.Length == batch * sequence ? mask : null;
            for (var r = 0; r < batch; r++)
            {
                var span = (r * sequence * width, sequence * width);
                var m = rowMask is null ? ReadOnlySpan<double>.Empty : rowMask.AsSpan(r * sequence, sequence);
                AddPooled(KindMetrics.Pool(a.AsSpan(span.Item1, span.Item2), sequence, width, m), KindMetrics.Pool(b.AsSpan(span.Item1, span.Item2), sequence, width, m));
            }

            return;
        }

        foreach (var (offset, width) in Rows(shape, a.Length))
        {
            AddPooled(a.AsSpan(offset, width).ToArray(), b.AsSpan(offset, width).ToArray());
        }
    }

    private void AddPooled(double[] a, double[] b)
    {
        pooledOriginal.Add(a);
        pooledCompressed.Add(b);
        var cosine = KindMetrics.Cosine(a, b);
        pooledCosineSum += cosine;
        pooledCosineMin = double.IsNaN(cosine) ? double.NaN : Math.Min(pooledCosineMin, cosine);
    }

    private void AddPositions(double[] a, double[] b, IReadOnlyList<long> shape, double[]? mask)
    {
        if (shape.Count < 2 || a.Length == 0)
        {
            return;
        }

        var classes = (int)shape[^1];
        var steps = (int)shape[^2];
        if (classes <= 0 || steps <= 0)
        {
            return;
        }

        var rows = a.Length / (classes * steps);
        var rowMask = mask is not null && mask.Length == rows * steps ? mask : null;
        for (var r = 0; r < rows; r++)
        {
            var m = rowMask is null ? ReadOnlySpan<double>.Empty : rowMask.AsSpan(r * steps, steps);
            for (var p = 0; p < steps; p++)
            {
                if (m.Length == steps && m[p] == 0)
                {
                    continue;
                }

                var offset = ((r * steps) + p) * classes;
                var x = a.AsSpan(offset, classes);
                var y = b.AsSpan(offset, classes);
                positions++;
                var best = KindMetrics.ArgMax(y);
                positionsAgreeing += KindMetrics.ArgMax(x) == best && !double.IsNaN(y[best]) ? 1 : 0;
                if (kind == OutputKind.LanguageModel)
                {
                    klSum += KindMetrics.KlDivergence(x, y);
                    klCount++;
                }
            }

            if (kind == OutputKind.Sequence)
            {
                var offset = r * steps * classes;
                decodedRows++;
                decodedEqual += KindMetrics.GreedyDecode(a.AsSpan(offset, steps * classes), steps, classes, m)
                    .SequenceEqual(KindMetrics.GreedyDecode(b.AsSpan(offset, steps * classes), steps, classes, m)) ? 1 : 0;
            }
        }
    }

    private void AddDense(double[] a, double[] b, IReadOnlyList<long> shape)
    {
        if (shape.Count < 3 || a.Length == 0)
        {
            return;
        }

        var batch = (int)Math.Max(1, shape[0]);
        var channels = shape.Count >= 4 ? (int)shape[1] : 1;
        var pixels = a.Length / batch / channels;
        var row = channels * pixels;
        for (var r = 0; r < batch; r++)
        {
            var x = a.AsSpan(r * row, row);
            var y = b.AsSpan(r * row, row);
            var threshold = channels > 1 ? 0 : IsUnitRange(x) ? 0.5 : 0;
            iouSum += KindMetrics.MeanIoU(x, y, channels, pixels, threshold);
            l1Sum += KindMetrics.RelativeL1(x, y);
            denseRows++;
        }
    }

    private static bool IsUnitRange(ReadOnlySpan<double> values)
    {
        foreach (var v in values)
        {
            if (v is < 0 or > 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The rows of an output as (offset, width): the first dimension when it is over 1, else one row.</summary>
    internal static IEnumerable<(int Offset, int Width)> Rows(IReadOnlyList<long> shape, int length)
    {
        var rows = Evaluator.Rows(shape, length);
        var width = rows == 0 ? 0 : length / rows;
        for (var r = 0; r < rows; r++)
        {
            yield return (r * width, width);
        }
    }
}
