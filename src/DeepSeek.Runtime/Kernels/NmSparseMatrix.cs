using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Runtime.Kernels;

/// <summary>
/// A weight matrix <c>W[rows, columns]</c> in which each column keeps at most <c>n</c> of every <c>m</c> consecutive rows
/// (an N:M pattern along the input, the layout DeepSeek.Build's <c>Sparsity</c> and DeepSeek.Torch's <c>MagnitudePruner</c>
/// produce), stored as the kept values and their row offsets only, and <see cref="Multiply"/>: <c>y = x · W</c> touching
/// the non-zeros alone. At 1:16 that is a sixteenth of the multiply-adds of the dense layer (docs/benchmarks.md, "Pruning and
/// sparsity", has what it measured against ONNX Runtime's dense INT8 form).
/// </summary>
/// <remarks>
/// Storage is slot-major: for group <c>g</c> (rows <c>g·m … g·m+m−1</c>) and slot <c>s &lt; n</c>, one row offset within the
/// group and one value per column, so that consecutive columns sit side by side and a vector path picks their rows out of
/// the group's <c>x</c> with one permute (or one gather). A column that keeps fewer than <c>n</c> rows in a group holds zeros
/// in the remaining slots.
/// </remarks>
public sealed class NmSparseMatrix
{
    private readonly int[] offsetOf;
    private readonly float[] values;
    private readonly int slots;

    private NmSparseMatrix(int rows, int columns, int n, int m, int[] offsetOf, float[] values)
    {
        Rows = rows;
        Columns = columns;
        N = n;
        M = m;
        this.offsetOf = offsetOf;
        this.values = values;
        slots = values.Length / Math.Max(columns, 1);
    }

    /// <summary>Rows of W: the length of one input vector.</summary>
    public int Rows { get; }

    /// <summary>Columns of W: the length of one output vector.</summary>
    public int Columns { get; }

    /// <summary>Kept rows per group.</summary>
    public int N { get; }

    /// <summary>Rows per group.</summary>
    public int M { get; }

    /// <summary>Values stored (kept weights and the zeros that pad short groups).</summary>
    public int StoredValues => values.Length;

    /// <summary>
    /// Compacts a dense row-major <c>W[rows, columns]</c> whose columns keep at most <paramref name="n"/> non-zeros in every
    /// <paramref name="m"/> consecutive rows (the last group may be shorter). A column with more is refused: pruning, not
    /// this kernel, decides what is zero.
    /// </summary>
    public static NmSparseMatrix FromDense(ReadOnlySpan<float> weights, int rows, int columns, int n, int m)
    {
        if (rows <= 0 || columns <= 0 || (long)rows * columns != weights.Length)
        {
            throw new ArgumentException($"the weights hold {weights.Length} values, not {rows} × {columns}", nameof(weights));
        }

        if (n <= 0 || m <= n)
        {
            throw new ArgumentOutOfRangeException(nameof(n), $"{n}:{m} is not an N:M pattern (0 < N < M)");
        }

        var groups = (rows + m - 1) / m;
        var offsetOf = new int[groups * n * columns];
        var values = new float[offsetOf.Length];
        for (var g = 0; g < groups; g++)
        {
            var first = g * m;
            var end = Math.Min(first + m, rows);
            for (var c = 0; c < columns; c++)
            {
                var slot = 0;
                for (var r = first; r < end; r++)
                {
                    var w = weights[(r * columns) + c];
                    if (w == 0)
                    {
                        continue;
                    }

                    if (slot == n)
                    {
                        throw new ArgumentException($"column {c} keeps more than {n} of rows {first}–{end - 1}: the weights are not {n}:{m} sparse", nameof(weights));
                    }

                    var at = (((g * n) + slot) * columns) + c;
                    offsetOf[at] = r - first;
                    values[at] = w;
                    slot++;
                }

                for (; slot < n; slot++)
                {
                    offsetOf[(((g * n) + slot) * columns) + c] = 0; // a zero weight at the group's first row
                }
            }
        }

        return new NmSparseMatrix(rows, columns, n, m, offsetOf, values);
    }

    /// <summary>
    /// <c>y[b, :] = x[b, :] · W</c> for <paramref name="batch"/> row-major rows of <paramref name="x"/>. Where a group of
    /// <c>m ≤ 16</c> rows fits in registers (AVX-512, or AVX2 with two halves), the vector paths load each group of <c>x</c> once
    /// and permute it to the kept rows of 16 or 8 columns at once (no gathers, one multiply-add per kept weight and lane);
    /// otherwise they gather <c>x</c> at the kept rows. They give the scalar path's result to within rounding (fused
    /// multiply-adds, and the sums split in two chains).
    /// </summary>
    public void Multiply(ReadOnlySpan<float> x, Span<float> y, int batch, KernelPath path = KernelPath.Auto)
    {
        if (batch < 0 || x.Length != (long)batch * Rows)
        {
            throw new ArgumentException($"x holds {x.Length} values, not {batch} × {Rows}", nameof(x));
        }

        if (y.Length != (long)batch * Columns)
        {
            throw new ArgumentException($"y holds {y.Length} values, not {batch} × {Columns}", nameof(y));
        }

        var resolved = KernelPaths.Resolve(path);
        int? permuted = resolved switch
        {
            KernelPath.Vector512 when M <= 16 && Avx512F.IsSupported => Permuted<Permute16, Vector512<float>, Permute16.Weights>(x, y, batch),
            KernelPath.Vector512 or KernelPath.Vector256 when M <= 16 && Avx2.IsSupported => Permuted<Permute8, Vector256<float>, Permute8.Weights>(x, y, batch),
            _ => null,
        };
        for (var b = 0; b < batch; b++)
        {
            var row = x.Slice(b * Rows, Rows);
            var output = y.Slice(b * Columns, Columns);
            var c = permuted ?? resolved switch
            {
                KernelPath.Vector512 or KernelPath.Vector256 => Gathered8(row, output),
                KernelPath.Vector128 => Gathered4(row, output),
                _ => 0,
            };
            ScalarColumns(row, output, c);
        }
    }

    private void ScalarColumns(ReadOnlySpan<float> x, Span<float> y, int from)
    {
        for (var c = from; c < Columns; c++)
        {
            float sum = 0;
            for (var t = 0; t < slots; t++)
            {
                var at = (t * Columns) + c;
                sum += x[(t / N * M) + offsetOf[at]] * values[at];
            }

            y[c] = sum;
        }
    }

    /// <summary>Rows of x the permuting paths carry at once: the kept offsets and values are loaded once for all of them.</summary>
    private const int Block = 4;

    /// <summary>Floats a permuting path reads from a group's first row (two 8-float halves on the 256-bit path).</summary>
    private const int Window = 16;

    /// <summary>
    /// The permuting paths read <see cref="Window"/> floats from each group's first row: straight from x for the groups where
    /// that stays inside the row, else from a zero-padded copy of the row's end. Returns the first group read from the copy
    /// and the row the copy starts at.
    /// </summary>
    private (int Group, int Row) TailStart()
    {
        var inside = Math.Min(slots / N, Rows < Window ? 0 : ((Rows - Window) / M) + 1);
        return (inside, inside * M);
    }

    /// <summary>
    /// The permuting paths: <typeparamref name="TPermute"/>.Lanes columns at a time, <see cref="Block"/> rows of x at once
    /// (one row carries two chains of sums, by the parity of the group); returns the first column left for the scalar loop.
    /// </summary>
    private unsafe int Permuted<TPermute, TVector, TWeights>(ReadOnlySpan<float> x, Span<float> y, int batch)
        where TPermute : IPermute<TVector, TWeights>
        where TVector : unmanaged
        where TWeights : unmanaged
    {
        var (tailGroup, tailRow) = TailStart();
        var stride = M + (2 * Window);
        Span<float> tails = stackalloc float[Block * stride];
        var groups = slots / N;
        var lanes = TPermute.Lanes;
        fixed (float* xs = x, vs = values, ys = y, ts = tails)
        fixed (int* os = offsetOf)
        {
            for (var b = 0; b < batch; b += Block)
            {
                var count = Math.Min(Block, batch - b);
                CopyTails(x, tails, b, count, tailRow, stride);
                for (var c = 0; c + lanes <= Columns; c += lanes)
                {
                    TVector a0 = default, a1 = default, a2 = default, a3 = default;
                    for (var g = 0; g < groups; g++)
                    {
                        var inside = g < tailGroup;
                        var w0 = inside ? xs + (b * Rows) + (g * M) : ts + ((g * M) - tailRow);
                        var step = inside ? Rows : stride;
                        for (var s = 0; s < N; s++)
                        {
                            var at = (((g * N) + s) * Columns) + c;
                            var weights = TPermute.Load(os + at, vs + at, M);
                            if (count == 1 && (g & 1) == 1)
                            {
                                a1 = TPermute.MultiplyAdd(w0, weights, a1); // one row: two chains
                                continue;
                            }

                            a0 = TPermute.MultiplyAdd(w0, weights, a0);
                            if (count > 1)
                            {
                                a1 = TPermute.MultiplyAdd(w0 + step, weights, a1);
                            }

                            if (count > 2)
                            {
                                a2 = TPermute.MultiplyAdd(w0 + (2 * step), weights, a2);
                            }

                            if (count > 3)
                            {
                                a3 = TPermute.MultiplyAdd(w0 + (3 * step), weights, a3);
                            }
                        }
                    }

                    StoreRows(ys + (b * Columns) + c, count, count == 1 ? TPermute.Add(a0, a1) : a0, a1, a2, a3);
                }
            }
        }

        return Columns - (Columns % lanes);
    }

    /// <summary>One register width of the permuting paths: how a group's x is picked at the kept rows of <c>Lanes</c> columns.</summary>
    private unsafe interface IPermute<TVector, TWeights>
        where TVector : unmanaged
        where TWeights : unmanaged
    {
        /// <summary>Columns per vector.</summary>
        static abstract int Lanes { get; }

        /// <summary>The kept rows' offsets and values of <c>Lanes</c> columns in one slot (loaded once for a block of rows).</summary>
        static abstract TWeights Load(int* offsets, float* values, int m);

        /// <summary><c>sum + x[offsets] · values</c>, with x the group's rows from <paramref name="window"/> on.</summary>
        static abstract TVector MultiplyAdd(float* window, TWeights weights, TVector sum);

        static abstract TVector Add(TVector a, TVector b);
    }

    /// <summary>AVX-512: 16 columns, groups of up to 16 rows in one register.</summary>
    private readonly unsafe struct Permute16 : IPermute<Vector512<float>, Permute16.Weights>
    {
        public static int Lanes => 16;

        public static Weights Load(int* offsets, float* values, int m) => new(Avx512F.LoadVector512(offsets), Avx512F.LoadVector512(values));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(float* window, Weights weights, Vector512<float> sum)
            => Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Avx512F.LoadVector512(window), weights.Offsets), weights.Values, sum);

        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

        public readonly record struct Weights(Vector512<int> Offsets, Vector512<float> Values);
    }

    /// <summary>AVX2: 8 columns, groups of up to 16 rows as two 8-row halves blended by offset &gt; 7.</summary>
    private readonly unsafe struct Permute8 : IPermute<Vector256<float>, Permute8.Weights>
    {
        public static int Lanes => 8;

        public static Weights Load(int* offsets, float* values, int m)
        {
            var o = Avx.LoadVector256(offsets);
            var wide = m > 8;
            return new(o, Avx.LoadVector256(values), wide ? Avx2.CompareGreaterThan(o, Vector256.Create(7)).AsSingle() : default, wide);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(float* window, Weights weights, Vector256<float> sum)
        {
            var picked = Avx2.PermuteVar8x32(Avx.LoadVector256(window), weights.Offsets);
            if (weights.Wide)
            {
                picked = Avx.BlendVariable(picked, Avx2.PermuteVar8x32(Avx.LoadVector256(window + 8), weights.Offsets), weights.High);
            }

            return Fma.IsSupported ? Fma.MultiplyAdd(picked, weights.Values, sum) : sum + (picked * weights.Values);
        }

        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

        public readonly record struct Weights(Vector256<int> Offsets, Vector256<float> Values, Vector256<float> High, bool Wide);
    }

    /// <summary>The first <paramref name="count"/> of a block's sums, each to its row of y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void StoreRows<T>(float* first, int count, T a0, T a1, T a2, T a3)
        where T : unmanaged
    {
        Unsafe.WriteUnaligned(first, a0);
        if (count > 1)
        {
            Unsafe.WriteUnaligned(first + Columns, a1);
        }

        if (count > 2)
        {
            Unsafe.WriteUnaligned(first + (2 * Columns), a2);
        }

        if (count > 3)
        {
            Unsafe.WriteUnaligned(first + (3 * Columns), a3);
        }
    }

    /// <summary>The end of each of <paramref name="count"/> rows from <paramref name="tailRow"/> on, zero-padded, <paramref name="stride"/> apart.</summary>
    private void CopyTails(ReadOnlySpan<float> x, Span<float> tails, int b, int count, int tailRow, int stride)
    {
        tails.Clear();
        for (var r = 0; r < count; r++)
        {
            x.Slice(((b + r) * Rows) + Math.Min(tailRow, Rows), Rows - Math.Min(tailRow, Rows)).CopyTo(tails.Slice(r * stride, stride));
        }
    }

    /// <summary>8 columns at a time by gathering (groups too wide to permute, or no AVX2); returns the first column left for the scalar loop.</summary>
    private unsafe int Gathered8(ReadOnlySpan<float> x, Span<float> y)
    {
        var c = 0;
        fixed (float* xs = x, vs = values, ys = y)
        fixed (int* os = offsetOf)
        {
            for (; c + 8 <= Columns; c += 8)
            {
                var sum = Vector256<float>.Zero;
                for (var t = 0; t < slots; t++)
                {
                    var start = xs + (t / N * M);
                    var at = (t * Columns) + c;
                    var gathered = Avx2.IsSupported
                        ? Avx2.GatherVector256(start, Vector256.Load(os + at), 4)
                        : Vector256.Create(Gather4(start, os + at), Gather4(start, os + at + 4));
                    sum += gathered * Vector256.Load(vs + at);
                }

                sum.Store(ys + c);
            }
        }

        return c;
    }

    /// <summary>4 columns at a time by gathering; returns the first column left for the scalar loop.</summary>
    private unsafe int Gathered4(ReadOnlySpan<float> x, Span<float> y)
    {
        var c = 0;
        fixed (float* xs = x, vs = values, ys = y)
        fixed (int* os = offsetOf)
        {
            for (; c + 4 <= Columns; c += 4)
            {
                var sum = Vector128<float>.Zero;
                for (var t = 0; t < slots; t++)
                {
                    var start = xs + (t / N * M);
                    var at = (t * Columns) + c;
                    var gathered = Avx2.IsSupported ? Avx2.GatherVector128(start, Vector128.Load(os + at), 4) : Gather4(start, os + at);
                    sum += gathered * Vector128.Load(vs + at);
                }

                sum.Store(ys + c);
            }
        }

        return c;
    }

    private static unsafe Vector128<float> Gather4(float* x, int* offsets) => Vector128.Create(x[offsets[0]], x[offsets[1]], x[offsets[2]], x[offsets[3]]);
}
