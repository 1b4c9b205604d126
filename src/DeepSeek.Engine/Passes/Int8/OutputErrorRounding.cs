using System.Numerics;

namespace DeepSeek.Engine.Passes.Int8;

/// <summary>
/// Rounding of quantized Conv weights that minimizes the error of the layer's output rather than of the weights
/// (AdaRound's objective, solved greedily): each weight may round to either neighbour on its channel's grid, and a weight
/// moves to its other neighbour when that lowers δᵀ·C·δ, with δ = w − ŵ the channel's weight error and C the covariance of
/// the layer's input patches on the calibration samples (the mean part of the error is the bias correction's). C is taken
/// block-diagonal over groups of input channels (at most <see cref="MaxBlock"/> values per block), which keeps its cost
/// linear in the layer's width.
/// </summary>
public static class OutputErrorRounding
{
    /// <summary>The largest block of the patch covariance (values of one or more input channels' windows).</summary>
    public const int MaxBlock = 576;

    /// <summary>At most this many patches per layer are read (spread evenly over the samples and positions).</summary>
    public const int MaxPatches = 4096;

    /// <summary>Damping added to the covariance's diagonal, as a fraction of its mean: pulls the rounding towards the nearest
    /// value where the calibration samples say little (0.01, GPTQ's, fitted them and lost fidelity on other photos; 0.1 and 1
    /// held).</summary>
    public const double Damping = 0.1;

    /// <summary>The geometry of a 2-D Conv (group 1).</summary>
    public sealed record ConvGeometry(int Channels, int KernelHeight, int KernelWidth, int StrideY, int StrideX, int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationY, int DilationX)
    {
        /// <summary>Values per patch: channels × kernel height × kernel width, in the weight's [C, kh, kw] order.</summary>
        public int PatchSize => Channels * KernelHeight * KernelWidth;

        /// <summary>Values per input channel's window.</summary>
        public int Window => KernelHeight * KernelWidth;
    }

    /// <summary>The patch covariance's diagonal blocks: <c>Blocks[b]</c> is the b-th block (row-major, its side is <c>Sizes[b]</c>).</summary>
    /// <param name="Sizes">Each block's side.</param>
    /// <param name="Blocks">The blocks, row-major.</param>
    /// <param name="Patches">How many patches they were estimated from.</param>
    public sealed record PatchCovariance(int[] Sizes, float[][] Blocks, long Patches)
    {
        /// <summary>The covariance's values (floats) for a Conv of this geometry: what <see cref="CovarianceBuilder"/> holds.</summary>
        public static long Values(ConvGeometry geometry)
        {
            ArgumentNullException.ThrowIfNull(geometry);
            var channelsPerBlock = Math.Max(1, MaxBlock / geometry.Window);
            return (long)geometry.PatchSize * Math.Min(geometry.PatchSize, channelsPerBlock * geometry.Window);
        }
    }

    /// <summary>Patches per value of the largest covariance block below which a layer keeps rounding to nearest: with fewer (the
    /// 7x7 maps of ResNet-18's last stage on 16 samples), the covariance mostly describes the calibration samples and rounding
    /// by it does not carry over to other inputs.</summary>
    public const int MinPatchesPerValue = 4;

    /// <summary>
    /// The geometry of <paramref name="conv"/> when its rounding can follow its output error: a 2-D Conv with one group, explicit
    /// (or no) padding and a [M, C, kh, kw] weight; null otherwise.
    /// </summary>
    public static ConvGeometry? Geometry(DeepSeek.Onnx.Protobuf.NodeProto conv, IReadOnlyList<long> weightDims)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(weightDims);
        long[] Ints(string name, long[] fallback) => Graph.Tensors.Attribute(conv, name) is { Ints.Count: > 0 } a ? [.. a.Ints] : fallback;
        var autoPad = Graph.Tensors.Attribute(conv, "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (conv.OpType != "Conv" || weightDims.Count != 4 || Graph.Tensors.IntAttribute(conv, "group", 1) != 1 || autoPad is not ("NOTSET" or "VALID"))
        {
            return null;
        }

        var strides = Ints("strides", [1, 1]);
        var pads = Ints("pads", [0, 0, 0, 0]);
        var dilations = Ints("dilations", [1, 1]);
        return strides.Length == 2 && pads.Length == 4 && dilations.Length == 2
            ? new ConvGeometry((int)weightDims[1], (int)weightDims[2], (int)weightDims[3], (int)strides[0], (int)strides[1], (int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3], (int)dilations[0], (int)dilations[1])
            : null;
    }

    /// <summary>
    /// Accumulates the covariance of a Conv's input patches one calibration sample at a time: at most <see cref="MaxPatches"/>
    /// patches, spread evenly over the samples and output positions; block-diagonal, damped on the diagonal.
    /// </summary>
    public sealed class CovarianceBuilder
    {
        private readonly ConvGeometry g;
        private readonly int channelsPerBlock;
        private readonly int[] sizes;
        private readonly float[][] blocks;
        private readonly double[][] sums;
        private readonly float[] patch;
        private readonly long every;
        private long position;
        private long count;

        /// <summary>A builder for <paramref name="samples"/> inputs of [<paramref name="height"/>, <paramref name="width"/>] (per channel).</summary>
        public CovarianceBuilder(ConvGeometry geometry, int height, int width, int samples)
        {
            g = geometry ?? throw new ArgumentNullException(nameof(geometry));
            var positions = (long)samples * OutputSize(height, g.KernelHeight, g.StrideY, g.PadTop, g.PadBottom, g.DilationY) * OutputSize(width, g.KernelWidth, g.StrideX, g.PadLeft, g.PadRight, g.DilationX);
            every = Math.Max(1, (long)Math.Ceiling(positions / (double)MaxPatches));
            Expected = (positions + every - 1) / every;
            channelsPerBlock = Math.Max(1, MaxBlock / g.Window);
            var blockCount = (g.Channels + channelsPerBlock - 1) / channelsPerBlock;
            sizes = new int[blockCount];
            for (var b = 0; b < blockCount; b++)
            {
                sizes[b] = Math.Min(channelsPerBlock, g.Channels - (b * channelsPerBlock)) * g.Window;
            }

            Reliable = Expected >= MinPatchesPerValue * (long)sizes.Max();
            blocks = Reliable ? [.. sizes.Select(n => new float[n * n])] : [];
            sums = Reliable ? [.. sizes.Select(n => new double[n])] : [];
            patch = Reliable ? new float[g.PatchSize] : [];
        }

        /// <summary>How many patches the samples will give.</summary>
        public long Expected { get; }

        /// <summary>Whether enough patches will be seen (<see cref="MinPatchesPerValue"/>); when not, <see cref="Add"/> does nothing.</summary>
        public bool Reliable { get; }

        /// <summary>Adds the patches of one input value [N, C, H, W] (row-major).</summary>
        public void Add(ReadOnlySpan<float> input, int batch, int height, int width)
        {
            if (!Reliable)
            {
                return;
            }

            var outHeight = OutputSize(height, g.KernelHeight, g.StrideY, g.PadTop, g.PadBottom, g.DilationY);
            var outWidth = OutputSize(width, g.KernelWidth, g.StrideX, g.PadLeft, g.PadRight, g.DilationX);
            var perSample = (long)outHeight * outWidth;
            var end = position + (batch * perSample);
            var next = ((position + every - 1) / every) * every; // the first sampled position at or after this input's first
            for (var at = next; at < end; at += every)
            {
                var local = at - position;
                var n = (int)(local / perSample);
                var oy = (int)(local / outWidth % outHeight);
                var ox = (int)(local % outWidth);
                var sample = input.Slice(n * g.Channels * height * width, g.Channels * height * width);
                var i = 0;
                for (var c = 0; c < g.Channels; c++)
                {
                    for (var ky = 0; ky < g.KernelHeight; ky++)
                    {
                        var y = (oy * g.StrideY) - g.PadTop + (ky * g.DilationY);
                        for (var kx = 0; kx < g.KernelWidth; kx++)
                        {
                            var x = (ox * g.StrideX) - g.PadLeft + (kx * g.DilationX);
                            patch[i++] = y >= 0 && y < height && x >= 0 && x < width ? sample[(((c * height) + y) * width) + x] : 0f;
                        }
                    }
                }

                for (var b = 0; b < sizes.Length; b++)
                {
                    AddOuterProduct(blocks[b], sums[b], patch.AsSpan(b * channelsPerBlock * g.Window, sizes[b]));
                }

                count++;
            }

            position = end;
        }

        /// <summary>The covariance of the patches added (null when the layer was not <see cref="Reliable"/> or saw no patch).</summary>
        public PatchCovariance? Build()
        {
            if (!Reliable || count == 0)
            {
                return null;
            }

            for (var b = 0; b < sizes.Length; b++)
            {
                Finish(blocks[b], sums[b], sizes[b], count);
            }

            return new PatchCovariance(sizes, blocks, count);
        }

        private static int OutputSize(int size, int kernel, int stride, int padBegin, int padEnd, int dilation)
            => Math.Max(0, ((size + padBegin + padEnd - (dilation * (kernel - 1)) - 1) / stride) + 1);
    }

    /// <summary>Upper triangle of <paramref name="block"/> += p·pᵀ; <paramref name="sums"/> += p.</summary>
    private static void AddOuterProduct(float[] block, double[] sums, ReadOnlySpan<float> p)
    {
        var n = p.Length;
        for (var r = 0; r < n; r++)
        {
            var v = p[r];
            sums[r] += v;
            if (v == 0f)
            {
                continue; // ReLU inputs: most rows add nothing
            }

            var row = block.AsSpan((r * n) + r, n - r);
            var tail = p[r..];
            var k = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vv = new Vector<float>(v);
                for (; k <= tail.Length - Vector<float>.Count; k += Vector<float>.Count)
                {
                    (new Vector<float>(row[k..]) + (vv * new Vector<float>(tail[k..]))).CopyTo(row[k..]);
                }
            }

            for (; k < tail.Length; k++)
            {
                row[k] += v * tail[k];
            }
        }
    }

    /// <summary>Second moments to covariance (E[ppᵀ] − μμᵀ), mirrored to the lower triangle, damped.</summary>
    private static void Finish(float[] block, double[] sums, int n, long count)
    {
        if (count == 0)
        {
            return;
        }

        double trace = 0;
        for (var r = 0; r < n; r++)
        {
            var mr = sums[r] / count;
            for (var c = r; c < n; c++)
            {
                var value = (float)((block[(r * n) + c] / (double)count) - (mr * (sums[c] / count)));
                block[(r * n) + c] = value;
                block[(c * n) + r] = value;
            }

            trace += block[(r * n) + r];
        }

        var damping = (float)(Damping * trace / n);
        for (var r = 0; r < n; r++)
        {
            block[(r * n) + r] += damping;
        }
    }

    /// <summary>
    /// Re-rounds <paramref name="values"/> (the int8 weights of a [M, C·kh·kw] Conv, rounded to nearest with
    /// <paramref name="scales"/>) in place, so that each output channel's error on the covariance is as small as greedy
    /// moves to the other grid neighbour make it; weights stay within ±<paramref name="level"/>. Returns how many moved.
    /// </summary>
    public static long Round(float[] weights, float[] scales, sbyte[] values, PatchCovariance covariance, int level)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(scales);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(covariance);
        var inner = weights.Length / scales.Length;
        if (inner != covariance.Sizes.Sum())
        {
            throw new ArgumentException($"the covariance covers {covariance.Sizes.Sum()} values per channel, the weights have {inner}", nameof(covariance));
        }

        long moved = 0;
        Parallel.For(0, scales.Length, () => (Error: new float[MaxBlock], Gradient: new float[MaxBlock], Moved: 0L), (m, _, local) =>
        {
            var offset = m * inner;
            for (var b = 0; b < covariance.Sizes.Length; b++)
            {
                local.Moved += RoundBlock(weights.AsSpan(offset, covariance.Sizes[b]), scales[m], values.AsSpan(offset, covariance.Sizes[b]), covariance.Blocks[b], level, local.Error, local.Gradient);
                offset += covariance.Sizes[b];
            }

            return local;
        }, local => Interlocked.Add(ref moved, local.Moved));
        return moved;
    }

    /// <summary>One output channel's weights over one covariance block: greedy moves while any lowers δᵀ·H·δ.</summary>
    private static long RoundBlock(ReadOnlySpan<float> w, float s, Span<sbyte> q, float[] h, int level, float[] error, float[] gradient)
    {
        var n = w.Length;
        long moved = 0;
        for (var i = 0; i < n; i++)
        {
            error[i] = w[i] - (q[i] * s);
        }

        for (var i = 0; i < n; i++)
        {
            gradient[i] = Dot(h.AsSpan(i * n, n), error.AsSpan(0, n));
        }

        // Passes over the block until no move helps (each move lowers the error, so this ends; at most a few passes).
        for (var pass = 0; pass < 4; pass++)
        {
            var changed = false;
            for (var i = 0; i < n; i++)
            {
                var direction = error[i] > 0 ? 1 : -1; // towards the other neighbour of w / s
                var target = q[i] + direction;
                if (error[i] == 0 || target > level || target < -level)
                {
                    continue;
                }

                var delta = direction * s; // ŵ grows by delta, the error shrinks by it
                var change = (-2.0 * delta * gradient[i]) + ((double)delta * delta * h[(i * n) + i]);
                if (change >= 0)
                {
                    continue;
                }

                q[i] = (sbyte)target;
                error[i] -= delta;
                Subtract(gradient.AsSpan(0, n), delta, h.AsSpan(i * n, n)); // symmetric: row i is column i
                moved++;
                changed = true;
            }

            if (!changed)
            {
                break;
            }
        }

        return moved;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var k = 0;
        var acc = Vector<float>.Zero;
        for (; k <= a.Length - Vector<float>.Count; k += Vector<float>.Count)
        {
            acc += new Vector<float>(a[k..]) * new Vector<float>(b[k..]);
        }

        var sum = Vector.Sum(acc);
        for (; k < a.Length; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }

    /// <summary>y −= a·x.</summary>
    private static void Subtract(Span<float> y, float a, ReadOnlySpan<float> x)
    {
        var k = 0;
        var va = new Vector<float>(a);
        for (; k <= y.Length - Vector<float>.Count; k += Vector<float>.Count)
        {
            (new Vector<float>(y[k..]) - (va * new Vector<float>(x[k..]))).CopyTo(y[k..]);
        }

        for (; k < y.Length; k++)
        {
            y[k] -= a * x[k];
        }
    }
}
