using DeepSeek.Runtime.Kernels;
using DeepSeek.Testing;

namespace DeepSeek.Runtime.Tests;

/// <summary>
/// Every vector path this process accelerates, and <see cref="KernelPath.Auto"/>, gives the scalar path's result, on lengths
/// that leave tails of every size. The variant projects (DeepSeek.Runtime.Tests.NoAvx512, .NoAvx2, .Scalar) run these
/// tests again with fewer paths accelerated, so that Auto takes each path and the fallbacks run whatever the CPU.
/// </summary>
public sealed class KernelTests
{
    /// <summary>Auto and every accelerated vector path: never empty, so a theory always has rows (Auto alone on a scalar host).</summary>
    public static IEnumerable<KernelPath> PathsUnderTest() => KernelPaths.Available().Where(p => p != KernelPath.Scalar).Prepend(KernelPath.Auto);

    public static TheoryData<KernelPath, int> PathsAndLengths() => PathsWith(1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 1000, 1023);

    /// <summary>Every path under test with every length.</summary>
    public static TheoryData<KernelPath, int> PathsWith(params int[] lengths)
    {
        var data = new TheoryData<KernelPath, int>();
        foreach (var path in PathsUnderTest())
        {
            foreach (var length in lengths)
            {
                data.Add(path, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void Rgb_to_chw_matches_the_scalar_path(KernelPath path, int pixels)
    {
        var rgb = new byte[pixels * 3];
        new Random(pixels).NextBytes(rgb);
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var expected = new float[pixels * 3];
        var actual = new float[pixels * 3];
        ImagePreprocessing.RgbToChw(rgb, expected, mean, std, KernelPath.Scalar);
        ImagePreprocessing.RgbToChw(rgb, actual, mean, std, path);
        // Equal to within one rounding: the AVX2 path fuses the multiply and the add.
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], tolerance: 1e-6 * (1 + Math.Abs(expected[i])));
        }

        // and the scalar path is the formula
        Assert.Equal((rgb[(pixels - 1) * 3 + 1] / 255f - mean[1]) / std[1], expected[pixels + pixels - 1], 5);
    }

    [Theory]
    [MemberData(nameof(VectorPaths))]
    public void Rgb_to_chw_matches_the_scalar_path_at_every_output_alignment(KernelPath path)
    {
        // The 256-bit path starts with scalar pixels until its output is 32-byte aligned: cover every head length.
        const int Pixels = 227;
        var rgb = new byte[Pixels * 3];
        new Random(7).NextBytes(rgb);
        float[] mean = [0.5f, 0.4f, 0.3f], std = [0.2f, 0.25f, 0.3f];
        var expected = new float[Pixels * 3];
        ImagePreprocessing.RgbToChw(rgb, expected, mean, std, KernelPath.Scalar);
        var buffer = GC.AllocateArray<float>((Pixels * 3) + 8, pinned: true);
        for (var offset = 0; offset < 8; offset++)
        {
            Array.Fill(buffer, float.NaN);
            var actual = buffer.AsSpan(offset, Pixels * 3);
            ImagePreprocessing.RgbToChw(rgb, actual, mean, std, path);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], actual[i], tolerance: 1e-6 * (1 + Math.Abs(expected[i])));
            }

            Assert.True(offset == 0 || float.IsNaN(buffer[offset - 1]), "wrote before its output");
            Assert.True(offset + (Pixels * 3) == buffer.Length || float.IsNaN(buffer[offset + (Pixels * 3)]), "wrote past its output");
        }
    }

    public static TheoryData<KernelPath> VectorPaths() => new(PathsUnderTest());

    [Fact]
    public void Rgb_to_chw_on_a_real_photo_matches_the_test_preprocessing()
    {
        var image = PngImage.Load(TestAssets.Images[0]).Crop(0, 0, 224, 224);
        var chw = new float[3 * 224 * 224];
        ImagePreprocessing.RgbToChw(image.Rgb, chw, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        var reference = image.ToNchw(224); // no resize at 224: the same formula, computed the test's way
        for (var i = 0; i < chw.Length; i++)
        {
            Assert.Equal(reference[i], chw[i], tolerance: 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void Argmax_softmax_and_l2norm_match_the_scalar_path(KernelPath path, int length)
    {
        var values = ModelBuilder.Random(length, length, 5f);
        values[length / 2] = 9f; // a known maximum in the middle, not always in a vector's first lane
        Assert.Equal(Postprocessing.ArgMax(values, KernelPath.Scalar), Postprocessing.ArgMax(values, path));
        Assert.Equal(length / 2, Postprocessing.ArgMax(values, path));

        var expected = new float[length];
        var actual = new float[length];
        Postprocessing.Softmax(values, expected, KernelPath.Scalar);
        Postprocessing.Softmax(values, actual, path);
        Assert.Equal(1.0, expected.Sum(), 4);
        for (var i = 0; i < length; i++)
        {
            Assert.Equal(expected[i], actual[i], tolerance: 1e-6 * (1 + Math.Abs(expected[i])));
        }

        var a = (float[])values.Clone();
        var b = (float[])values.Clone();
        Postprocessing.L2Normalize(a, KernelPath.Scalar);
        Postprocessing.L2Normalize(b, path);
        Assert.Equal(1.0, Math.Sqrt(a.Sum(v => (double)v * v)), 4);
        for (var i = 0; i < length; i++)
        {
            Assert.Equal(a[i], b[i], tolerance: 1e-6 * (1 + Math.Abs(a[i]))); // summation order differs between paths
        }
    }

    [Fact]
    public void TopK_returns_the_largest_first()
    {
        float[] values = [0.1f, 0.7f, 0.05f, 0.9f, 0.3f];
        Span<int> indices = stackalloc int[3];
        Span<float> top = stackalloc float[3];
        Postprocessing.TopK(values, indices, top);
        Assert.Equal([3, 1, 4], indices.ToArray());
        Assert.Equal([0.9f, 0.7f, 0.3f], top.ToArray());
    }
}

public sealed class DequantizeTests
{
    public static TheoryData<KernelPath, int> PathsAndLengths() => KernelTests.PathsWith(1, 15, 16, 17, 1000);

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void Vector_dequantization_equals_scalar_for_uint8_and_int8(KernelPath path, int length)
    {
        var unsigned = new byte[length];
        new Random(length).NextBytes(unsigned);
        var signed = unsigned.Select(b => unchecked((sbyte)b)).ToArray();
        var expected = new float[length];
        var actual = new float[length];
        Postprocessing.Dequantize(unsigned, 0.05f, 128, expected, KernelPath.Scalar);
        Postprocessing.Dequantize(unsigned, 0.05f, 128, actual, path);
        Assert.Equal(expected, actual);
        Assert.Equal((unsigned[length - 1] - 128) * 0.05f, expected[length - 1]);
        Assert.Equal((unsigned[0] - 128) * 0.05f, actual[0]);
        Postprocessing.Dequantize(signed, 0.1f, -3, expected, KernelPath.Scalar);
        Postprocessing.Dequantize(signed, 0.1f, -3, actual, path);
        Assert.Equal(expected, actual);
        Assert.Equal((signed[length - 1] + 3) * 0.1f, expected[length - 1]);
        Assert.Equal((signed[0] + 3) * 0.1f, actual[0]);
    }
}
