using DeepSeek.Onnx.Validation;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Tests.Compression;

/// <summary>The bit-level counter against .NET's own IsNaN/IsInfinity, on lengths that leave every vector tail.</summary>
public sealed class NonFiniteCounterTests
{
    public static TheoryData<int, int> TypesAndLengths()
    {
        var data = new TheoryData<int, int>();
        foreach (var type in new[] { 1, 10, 16, 11 })
        {
            foreach (var length in new[] { 0, 1, 7, 8, 9, 31, 33, 64, 1001 })
            {
                data.Add(type, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndLengths))]
    public void Counts_match_is_nan_and_is_infinity(int dataType, int length)
    {
        var random = new Random((dataType * 1000) + length);
        // Finite values near the edges (largest finite, smallest subnormal, zeros of both signs) among NaN and infinities.
        double[] pool = [double.NaN, -double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1.5, -3.25,
            float.MaxValue, -float.MaxValue, 65504, float.Epsilon, 1e-40, double.MaxValue];
        var values = Enumerable.Range(0, length).Select(_ => random.Next(3) == 0 ? pool[random.Next(pool.Length)] : random.NextDouble()).ToArray();
        var bytes = NonFiniteModels.Encode(values, dataType);

        var decoded = Decode(bytes, dataType);
        var expected = new NonFiniteCount(decoded.Count(double.IsNaN), decoded.Count(double.IsInfinity));
        Assert.Equal(expected, NonFiniteCounter.Count(bytes, dataType));
        Assert.Equal(length, decoded.Length);
    }

    [Fact]
    public void The_encoding_keeps_what_is_finite_per_type()
    {
        // float.MaxValue overflows float16 and double.MaxValue overflows float32 and bfloat16: they become infinities there.
        double[] values = [float.MaxValue, double.MaxValue, 65504, double.NaN];
        Assert.Equal(new NonFiniteCount(1, 1), NonFiniteCounter.Count(NonFiniteModels.Encode(values, 1), 1));
        Assert.Equal(new NonFiniteCount(1, 2), NonFiniteCounter.Count(NonFiniteModels.Encode(values, 10), 10));
        Assert.Equal(new NonFiniteCount(1, 1), NonFiniteCounter.Count(NonFiniteModels.Encode(values, 16), 16));
        Assert.Equal(new NonFiniteCount(1, 0), NonFiniteCounter.Count(NonFiniteModels.Encode(values, 11), 11));
    }

    private static double[] Decode(byte[] bytes, int dataType) => dataType switch
    {
        1 => Enumerable.Range(0, bytes.Length / 4).Select(i => (double)BitConverter.ToSingle(bytes, i * 4)).ToArray(),
        10 => Enumerable.Range(0, bytes.Length / 2).Select(i => (double)BitConverter.ToHalf(bytes, i * 2)).ToArray(),
        16 => Enumerable.Range(0, bytes.Length / 2).Select(i => (double)BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(bytes, i * 2) << 16)).ToArray(),
        _ => Enumerable.Range(0, bytes.Length / 8).Select(i => BitConverter.ToDouble(bytes, i * 8)).ToArray(),
    };
}
