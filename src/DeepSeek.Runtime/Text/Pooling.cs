using System.Globalization;
using System.Numerics.Tensors;
using DeepSeek.Runtime.Kernels;

namespace DeepSeek.Runtime.Text;

/// <summary>
/// Sentence-embedding post-processing over a transformer's token outputs: mean pooling with the attention mask and
/// [CLS] pooling (as sentence-transformers' <c>Pooling</c> module), and row-wise L2 normalization (its <c>Normalize</c>).
/// The vector math runs on <see cref="TensorPrimitives"/> (and <see cref="Postprocessing.L2Normalize"/> for the norm),
/// which use the widest vectors the CPU accelerates.
/// </summary>
/// <remarks>
/// Layouts are row-major: <c>hidden</c> is <c>[batch, sequence, size]</c>, <c>mask</c> is <c>[batch, sequence]</c>,
/// <c>pooled</c> is <c>[batch, size]</c>. Spans may be longer than the shape; only the first elements are read or written.
/// Nothing allocates.
/// </remarks>
public static class Pooling
{
    /// <summary>
    /// Mean of each sequence's token vectors weighted by its mask, as sentence-transformers' mean pooling:
    /// <c>pooled[b] = Σₜ hidden[b, t] · mask[b, t] / max(Σₜ mask[b, t], 1e-9)</c>. A row with no masked-in token pools to zeros.
    /// </summary>
    /// <param name="hidden">The token vectors, <c>[batch, sequence, size]</c> (<c>last_hidden_state</c>).</param>
    /// <param name="mask">The attention mask, <c>[batch, sequence]</c>: 1 for tokens, 0 for padding (other values weight the token).</param>
    /// <param name="batch">The number of sequences.</param>
    /// <param name="sequence">The tokens per sequence (the padded length).</param>
    /// <param name="size">The length of a token vector (the hidden size).</param>
    /// <param name="pooled">Receives one vector per sequence, <c>[batch, size]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or a shape's element count overflows.</exception>
    public static void MeanPool(ReadOnlySpan<float> hidden, ReadOnlySpan<long> mask, int batch, int sequence, int size, Span<float> pooled)
    {
        CheckShape(hidden.Length, pooled.Length, batch, sequence, size);
        CheckLength(mask.Length, (long)batch * sequence, "mask", "batch × sequence");

        for (var b = 0; b < batch; b++)
        {
            var row = pooled.Slice(b * size, size);
            row.Clear();
            var tokens = hidden.Slice(b * sequence * size, sequence * size);
            var weights = mask.Slice(b * sequence, sequence);
            float count = 0;
            for (var t = 0; t < sequence; t++)
            {
                var weight = weights[t];
                if (weight == 0)
                {
                    continue;
                }

                var token = tokens.Slice(t * size, size);
                if (weight == 1)
                {
                    TensorPrimitives.Add(row, token, row);
                }
                else
                {
                    TensorPrimitives.MultiplyAdd(token, (float)weight, row, row);
                }

                count += weight;
            }

            TensorPrimitives.Divide(row, MathF.Max(count, 1e-9f), row);
        }
    }

    /// <summary>The first token's vector of each sequence (<c>[CLS]</c> for BERT): <c>pooled[b] = hidden[b, 0]</c>.</summary>
    /// <param name="hidden">The token vectors, <c>[batch, sequence, size]</c>.</param>
    /// <param name="batch">The number of sequences.</param>
    /// <param name="sequence">The tokens per sequence; at least 1 when <paramref name="batch"/> is not 0.</param>
    /// <param name="size">The length of a token vector.</param>
    /// <param name="pooled">Receives one vector per sequence, <c>[batch, size]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or <paramref name="sequence"/> is 0 with sequences to pool.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or a shape's element count overflows.</exception>
    public static void Cls(ReadOnlySpan<float> hidden, int batch, int sequence, int size, Span<float> pooled)
    {
        CheckShape(hidden.Length, pooled.Length, batch, sequence, size);
        if (batch > 0 && sequence == 0 && size > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, "a sequence of 0 tokens has no first token to pool");
        }

        for (var b = 0; b < batch; b++)
        {
            hidden.Slice(b * sequence * size, size).CopyTo(pooled.Slice(b * size, size));
        }
    }

    /// <summary>
    /// Scales each row of <paramref name="vectors"/> in place to unit L2 norm; a zero row stays zero. sentence-transformers
    /// divides by <c>max(norm, 1e-12)</c>, which differs only for rows of norm below 1e-12.
    /// </summary>
    /// <param name="vectors">Rows of <paramref name="size"/> floats; its length must be a multiple of <paramref name="size"/>.</param>
    /// <param name="size">The length of a row; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="vectors"/> is not a multiple of <paramref name="size"/>.</exception>
    public static void L2Normalize(Span<float> vectors, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (vectors.Length % size != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"vectors has {vectors.Length} elements, not a whole number of rows of size {size}"), nameof(vectors));
        }

        for (var start = 0; start < vectors.Length; start += size)
        {
            Postprocessing.L2Normalize(vectors.Slice(start, size));
        }
    }

    private static void CheckShape(int hiddenLength, int pooledLength, int batch, int sequence, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        long elements;
        try
        {
            elements = checked((long)batch * sequence * size);
        }
        catch (OverflowException)
        {
            elements = long.MaxValue;
        }

        CheckLength(hiddenLength, elements, "hidden", "batch × sequence × size");
        CheckLength(pooledLength, (long)batch * size, "pooled", "batch × size");
    }

    private static void CheckLength(int length, long needed, string name, string shape)
    {
        if (length < needed)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {length} elements; {shape} = {needed} are needed"), name);
        }
    }
}
