using DeepSeek.Runtime.Kernels;

namespace DeepSeek.Runtime.Tests;

/// <summary>
/// The N:M sparse layer kernel against the dense product of the same weights, on every path this process accelerates (the
/// variant projects take the software-gather and scalar paths), on shapes that leave column tails and a short last group,
/// groups that fit a register (permuted) and one that does not (gathered).
/// </summary>
public sealed class NmSparseMatrixTests
{
    public static TheoryData<KernelPath, int, int, int, int> Cases()
    {
        var data = new TheoryData<KernelPath, int, int, int, int>();
        foreach (var path in KernelTests.PathsUnderTest().Append(KernelPath.Scalar))
        {
            data.Add(path, 1568, 64, 1, 16); // samples/TorchMnist's fc1
            data.Add(path, 64, 10, 2, 4);    // a 2:4 head, 10 columns: tails of 2 after 8 and 4
            data.Add(path, 37, 13, 1, 16);   // 3 groups, the last of 5 rows; 13 columns
            data.Add(path, 40, 24, 8, 16);   // groups whose 16-wide window would run past the row: read from its copied end
            data.Add(path, 100, 12, 3, 32);  // groups too wide to permute: the gathering paths
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Multiply_gives_the_dense_product(KernelPath path, int rows, int columns, int n, int m)
    {
        var random = new Random(rows * columns);
        var w = Sparse(random, rows, columns, n, m, keepAll: false);
        const int Batch = 5; // a block of 4 rows and one of 1
        var x = Enumerable.Range(0, Batch * rows).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var matrix = NmSparseMatrix.FromDense(w, rows, columns, n, m);
        var y = new float[Batch * columns];
        matrix.Multiply(x, y, Batch, path);
        for (var b = 0; b < Batch; b++)
        {
            for (var c = 0; c < columns; c++)
            {
                double expected = 0;
                for (var r = 0; r < rows; r++)
                {
                    expected += (double)x[(b * rows) + r] * w[(r * columns) + c];
                }

                Assert.Equal(expected, y[(b * columns) + c], 1e-4 * (1 + Math.Abs(expected)));
            }
        }

        Assert.Equal((rows + m - 1) / m * n * columns, matrix.StoredValues);
    }

    [Fact]
    public void A_column_that_keeps_more_than_n_rows_of_a_group_is_refused()
    {
        var w = Sparse(new Random(1), 32, 8, 1, 16, keepAll: false);
        w[(17 * 8) + 5] = 0.5f; // a second non-zero in column 5's second group (rows 16–31) unless row 17 already held it
        w[(18 * 8) + 5] = 0.25f;
        var error = Assert.Throws<ArgumentException>(() => NmSparseMatrix.FromDense(w, 32, 8, 1, 16));
        Assert.Contains("column 5 keeps more than 1 of rows 16–31", error.Message);
    }

    [Fact]
    public void Shapes_that_do_not_match_are_refused()
    {
        var matrix = NmSparseMatrix.FromDense(Sparse(new Random(2), 16, 4, 2, 4, keepAll: true), 16, 4, 2, 4);
        Assert.Throws<ArgumentException>(() => matrix.Multiply(new float[15], new float[4], 1));
        Assert.Throws<ArgumentException>(() => matrix.Multiply(new float[32], new float[4], 2));
        Assert.Throws<ArgumentException>(() => NmSparseMatrix.FromDense(new float[63], 16, 4, 2, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => NmSparseMatrix.FromDense(new float[64], 16, 4, 4, 4));
    }

    /// <summary>W[rows, columns] with at most n non-zeros (exactly n with <paramref name="keepAll"/>, else 0 to n) per column in every m rows.</summary>
    private static float[] Sparse(Random random, int rows, int columns, int n, int m, bool keepAll)
    {
        var w = new float[rows * columns];
        for (var first = 0; first < rows; first += m)
        {
            var size = Math.Min(m, rows - first);
            for (var c = 0; c < columns; c++)
            {
                var keep = keepAll ? Math.Min(n, size) : random.Next(Math.Min(n, size) + 1);
                foreach (var r in Enumerable.Range(first, size).OrderBy(_ => random.Next()).Take(keep))
                {
                    w[(r * columns) + c] = (float)((random.NextDouble() * 2) - 1);
                }
            }
        }

        return w;
    }
}
