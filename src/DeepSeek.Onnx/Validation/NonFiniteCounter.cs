using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepSeek.Onnx.Validation;

/// <summary>How many NaN and infinite values a run of floating-point numbers holds.</summary>
/// <param name="NaN">NaN values (any payload, either sign).</param>
/// <param name="Infinity">Positive or negative infinities.</param>
public readonly record struct NonFiniteCount(long NaN, long Infinity)
{
    /// <summary>NaN and infinite values together.</summary>
    public long Total => NaN + Infinity;

    /// <summary>Adds two counts.</summary>
    public static NonFiniteCount operator +(NonFiniteCount a, NonFiniteCount b) => new(a.NaN + b.NaN, a.Infinity + b.Infinity);

    /// <summary>Adds two counts (the named form of <c>+</c>).</summary>
    public static NonFiniteCount Add(NonFiniteCount a, NonFiniteCount b) => a + b;
}

/// <summary>
/// Counts NaN and infinite values in the little-endian bits of float32, float16, bfloat16 and float64 data, without
/// converting them: a value is not finite when all its exponent bits are set (NaN when its mantissa is not zero).
/// The all-finite case, which is the normal one, is one vector compare per <see cref="Vector{T}"/>.
/// </summary>
public static class NonFiniteCounter
{
    /// <summary>The element size in bytes of the types this counter reads (float, float16, double, bfloat16), else 0.</summary>
    public static int ElementSize(int dataType) => dataType switch
    {
        1 => 4,
        10 or 16 => 2,
        11 => 8,
        _ => 0,
    };

    /// <summary>Counts in <paramref name="bytes"/>, which hold whole elements of <paramref name="dataType"/>.</summary>
    public static NonFiniteCount Count(ReadOnlySpan<byte> bytes, int dataType) => dataType switch
    {
        1 => Count(MemoryMarshal.Cast<byte, uint>(bytes), 0x7F80_0000u, 0x007F_FFFFu),
        10 => Count(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7C00, (ushort)0x03FF),
        16 => Count(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7F80, (ushort)0x007F),
        11 => Count(MemoryMarshal.Cast<byte, ulong>(bytes), 0x7FF0_0000_0000_0000ul, 0x000F_FFFF_FFFF_FFFFul),
        _ => throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "not a floating-point type this counter reads"),
    };

    /// <summary>Counts one float32 value (Constant <c>value_float</c>, <c>float_data</c>).</summary>
    public static NonFiniteCount Count(float value) => new(float.IsNaN(value) ? 1 : 0, float.IsInfinity(value) ? 1 : 0);

    /// <summary>Counts one float64 value (<c>double_data</c>).</summary>
    public static NonFiniteCount Count(double value) => new(double.IsNaN(value) ? 1 : 0, double.IsInfinity(value) ? 1 : 0);

    /// <summary>Counts one 16-bit value held in the low bits of an <c>int32_data</c> entry (float16 or bfloat16).</summary>
    public static NonFiniteCount CountHalf(int entry, int dataType)
        => dataType == 10 ? Classify((ushort)entry, (ushort)0x7C00, (ushort)0x03FF) : Classify((ushort)entry, (ushort)0x7F80, (ushort)0x007F);

    private static NonFiniteCount Count<T>(ReadOnlySpan<T> bits, T exponent, T mantissa)
        where T : unmanaged, IBinaryInteger<T>
    {
        var count = default(NonFiniteCount);
        var done = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var mask = new Vector<T>(exponent);
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(bits);
            for (var v = 0; v < vectors.Length; v++)
            {
                if (Vector.EqualsAny(vectors[v] & mask, mask))
                {
                    count += CountScalar(bits.Slice(v * Vector<T>.Count, Vector<T>.Count), exponent, mantissa);
                }
            }

            done = vectors.Length * Vector<T>.Count;
        }

        return count + CountScalar(bits[done..], exponent, mantissa);
    }

    private static NonFiniteCount CountScalar<T>(ReadOnlySpan<T> bits, T exponent, T mantissa)
        where T : unmanaged, IBinaryInteger<T>
    {
        var count = default(NonFiniteCount);
        foreach (var value in bits)
        {
            count += Classify(value, exponent, mantissa);
        }

        return count;
    }

    private static NonFiniteCount Classify<T>(T value, T exponent, T mantissa)
        where T : unmanaged, IBinaryInteger<T>
    {
        if ((value & exponent) != exponent)
        {
            return default;
        }

        return (value & mantissa) == T.Zero ? new NonFiniteCount(0, 1) : new NonFiniteCount(1, 0);
    }
}
