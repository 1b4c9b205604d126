using System.Numerics.Tensors;

namespace DeepSeek.Engine.Passes.Int8;

/// <summary>
/// GPTQ (Frantar et al., 2022) for MatMulNBits' 4-bit blocks: the rows of B [K, N] (one per input) are quantized in order and
/// each row's rounding error is spread over the rows not yet quantized, weighted by the inverse of the inputs' second-moment
/// matrix H = XᵀX measured on calibration data, so that the layer's output error, not the weights', is what is minimized.
/// Block scales and zero points are chosen (by error) from the already updated rows when a block starts. Float arithmetic
/// throughout (SIMD dot products), with 1 % of H's mean diagonal added for stability; an input never seen nonzero keeps
/// weight 0.
/// </summary>
internal static class Gptq
{
    /// <summary>The damping, as a fraction of H's mean diagonal.</summary>
    public const float Damping = 0.01f;

    /// <summary>
    /// The upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU), row-major K×K, after damping; dead inputs (H_kk = 0) get H_kk = 1.
    /// Shared by every MatMul reading the same input.
    /// </summary>
    public static float[] InverseFactor(ReadOnlySpan<double> hessian, int k, out bool[] dead)
    {
        var h = new float[k * k];
        dead = new bool[k];
        double mean = 0;
        for (var i = 0; i < k; i++)
        {
            mean += hessian[(i * k) + i];
        }

        var damp = (float)(Damping * mean / k);
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                h[(i * k) + j] = (float)hessian[(i * k) + j];
            }

            if (hessian[(i * k) + i] <= 0)
            {
                dead[i] = true;
                Array.Clear(h, i * k, k);
                for (var r = 0; r < k; r++)
                {
                    h[(r * k) + i] = 0;
                }

                h[(i * k) + i] = 1;
            }

            h[(i * k) + i] += damp;
        }

        var l = CholeskyLower(h, k);
        // Lᵀ⁻¹ kept row-major as the rows of (L⁻¹)ᵀ: row j holds column j of L⁻¹ (entries m ≥ j).
        var inverseT = new float[k * k];
        for (var j = 0; j < k; j++)
        {
            inverseT[(j * k) + j] = 1 / l[(j * k) + j];
            for (var i = j + 1; i < k; i++)
            {
                var sum = TensorPrimitives.Dot(l.AsSpan((i * k) + j, i - j), inverseT.AsSpan((j * k) + j, i - j));
                inverseT[(j * k) + i] = -sum / l[(i * k) + i];
            }
        }

        // H⁻¹ = L⁻ᵀ L⁻¹: H⁻¹[a, b] = Σ_m≥max(a,b) L⁻¹[m, a] L⁻¹[m, b].
        var inverse = new float[k * k];
        for (var a = 0; a < k; a++)
        {
            for (var b = a; b < k; b++)
            {
                var v = TensorPrimitives.Dot(inverseT.AsSpan((a * k) + b, k - b), inverseT.AsSpan((b * k) + b, k - b));
                inverse[(a * k) + b] = v;
                inverse[(b * k) + a] = v;
            }
        }

        var lower = CholeskyLower(inverse, k);
        var upper = new float[k * k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                upper[(j * k) + i] = lower[(i * k) + j];
            }
        }

        return upper;
    }

    /// <summary>
    /// Quantizes B [K, N] (row-major) into MatMulNBits' layout (see <see cref="Int4BlockPass.Quantize"/>), GPTQ-style with the
    /// factor <paramref name="upper"/> of <see cref="InverseFactor"/>; without one (null) no error is spread and each block is
    /// rounded to nearest. Rows past K in the last block hold the block's zero point.
    /// </summary>
    public static (byte[] Packed, float[] Scales, byte[]? ZeroPoints) Quantize(ReadOnlySpan<float> matrix, int k, int n, float[]? upper, bool[]? dead, int blockSize, bool symmetric)
    {
        var w = matrix.ToArray();
        for (var r = 0; r < k && dead is not null; r++)
        {
            if (dead[r])
            {
                Array.Clear(w, r * n, n);
            }
        }

        var blocks = (k + blockSize - 1) / blockSize;
        var packed = new byte[n * blocks * (blockSize / 2)];
        var scales = new float[n * blocks];
        var zeroBytes = (blocks + 1) / 2;
        var zeroPoints = symmetric ? null : new byte[n * zeroBytes];
        // Each column is quantized on its own (its error spreads down its own column only), so runs of columns go in parallel;
        // every output byte belongs to one column.
        var runs = (n + ColumnsPerRun - 1) / ColumnsPerRun;
        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, run =>
        {
            var first = run * ColumnsPerRun;
            var count = Math.Min(ColumnsPerRun, n - first);
            var parameters = new (float Scale, int ZeroPoint)[count];
            var column = new float[blockSize];
            var error = new float[count];
            for (var b = 0; b < blocks; b++)
            {
                for (var i = 0; i < count; i++)
                {
                    var c = first + i;
                    for (var j = 0; j < blockSize; j++)
                    {
                        var r = (b * blockSize) + j;
                        column[j] = r < k ? w[(r * n) + c] : 0f;
                    }

                    parameters[i] = BlockRange.Choose(column, 15, symmetric);
                    scales[(c * blocks) + b] = parameters[i].Scale;
                    if (zeroPoints is not null)
                    {
                        zeroPoints[(c * zeroBytes) + (b / 2)] |= (byte)(parameters[i].ZeroPoint << (4 * (b % 2)));
                    }
                }

                for (var j = 0; j < blockSize; j++)
                {
                    var r = (b * blockSize) + j;
                    var row = r < k ? w.AsSpan((r * n) + first, count) : default;
                    var d = upper is not null && r < k ? upper[(r * k) + r] : 1f;
                    for (var i = 0; i < count; i++)
                    {
                        var c = first + i;
                        var p = parameters[i];
                        var value = r < k ? row[i] : 0f;
                        var q = BlockRange.Code(value, p, 15);
                        packed[(((c * blocks) + b) * (blockSize / 2)) + (j / 2)] |= (byte)(q << (4 * (j % 2)));
                        error[i] = (value - ((q - p.ZeroPoint) * p.Scale)) / d;
                    }

                    if (upper is null || r >= k)
                    {
                        continue;
                    }

                    // The rows not yet quantized absorb the error: W[i, :] -= U[r, i] · error.
                    for (var i = r + 1; i < k; i++)
                    {
                        var u = upper[(r * k) + i];
                        if (u != 0)
                        {
                            var slice = w.AsSpan((i * n) + first, count);
                            TensorPrimitives.MultiplyAdd(error, -u, slice, slice);
                        }
                    }
                }
            }
        });

        return (packed, scales, zeroPoints);
    }

    /// <summary>Columns one parallel run quantizes (a multiple of every SIMD width; wide enough for the error updates' dot products).</summary>
    private const int ColumnsPerRun = 256;

    /// <summary>Lower Cholesky factor of a symmetric positive-definite K×K matrix (row-major).</summary>
    private static float[] CholeskyLower(float[] a, int k)
    {
        var l = new float[k * k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[(i * k) + j] - TensorPrimitives.Dot(l.AsSpan(i * k, j), l.AsSpan(j * k, j));
                if (i == j)
                {
                    l[(i * k) + i] = MathF.Sqrt(MathF.Max(sum, 1e-12f));
                }
                else
                {
                    l[(i * k) + j] = sum / l[(j * k) + j];
                }
            }
        }

        return l;
    }
}
