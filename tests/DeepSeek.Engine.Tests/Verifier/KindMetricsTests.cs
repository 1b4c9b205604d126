using DeepSeek.Engine.Verification;

namespace DeepSeek.Engine.Tests.Verifier;

/// <summary>The kind-specific figures on arrays small enough to compute by hand (the values in the comments).</summary>
public sealed class KindMetricsTests
{
    [Fact]
    public void KL_divergence_reads_probabilities_as_they_are_and_logits_through_softmax()
    {
        // P = [0.25, 0.75], Q = [0.5, 0.5]: 0.25 ln(0.5) + 0.75 ln(1.5).
        var expected = (0.25 * Math.Log(0.5)) + (0.75 * Math.Log(1.5));
        Assert.Equal(expected, KindMetrics.KlDivergence([0.25, 0.75], [0.5, 0.5]), 1e-12);

        // The same distributions as logits: softmax([0, ln 3]) = [0.25, 0.75], softmax([1, 1]) = [0.5, 0.5].
        Assert.Equal(expected, KindMetrics.KlDivergence([0, Math.Log(3)], [1, 1]), 1e-12);
        Assert.Equal(0, KindMetrics.KlDivergence([2, -1, 0.5], [2, -1, 0.5]), 1e-15);
    }

    [Fact]
    public void Pooling_weights_each_position_by_the_mask()
    {
        // Positions [1,2], [3,4], [100,100] with mask 1, 1, 0: the mean of the first two.
        Assert.Equal([2.0, 3.0], KindMetrics.Pool([1, 2, 3, 4, 100, 100], 3, 2, [1, 1, 0]));
        Assert.Equal([104.0 / 3, 106.0 / 3], KindMetrics.Pool([1, 2, 3, 4, 100, 100], 3, 2, []));
    }

    [Fact]
    public void Greedy_decoding_collapses_repeats_and_drops_the_blank()
    {
        // Arg-max per position 0, 1, 1, 0, 2, 2, 1 (two classes' scores per position: blank 0, 1, 2).
        double[] scores = [9, 0, 0, 0, 9, 0, 0, 9, 0, 9, 0, 0, 0, 0, 9, 0, 0, 9, 0, 9, 0];
        Assert.Equal([1, 2, 1], KindMetrics.GreedyDecode(scores, 7, 3, []));

        // Masking the last position leaves 1, 2.
        Assert.Equal([1, 2], KindMetrics.GreedyDecode(scores, 7, 3, [1, 1, 1, 1, 1, 1, 0]));
    }

    [Fact]
    public void Mean_IoU_of_thresholded_and_arg_max_maps()
    {
        // One channel over 0.5: {0, 1, 3} and {0, 2, 3}: 2 in both, 4 in either.
        Assert.Equal(0.5, KindMetrics.MeanIoU([0.9, 0.8, 0.1, 0.6], [0.9, 0.2, 0.7, 0.6], 1, 4, 0.5));

        // Two channels, three pixels (channel-major): classes [0, 1, 1] and [0, 0, 1]; class 0: 1/2, class 1: 1/2.
        Assert.Equal(0.5, KindMetrics.MeanIoU([5, 0, 0, 0, 5, 5], [5, 5, 0, 0, 0, 5], 2, 3, 0));

        // Nothing over the threshold in either map: they agree.
        Assert.Equal(1, KindMetrics.MeanIoU([0, 0], [0.1, 0.2], 1, 2, 0.5));
        Assert.Equal(0.75, KindMetrics.RelativeL1([1, -3], [2, -1]), 1e-15); // (|1 − 2| + |−3 + 1|) / (1 + 3)
    }

    [Fact]
    public void Neighbour_agreement_counts_kept_neighbours_and_forgives_ties()
    {
        // k = 1. Original: a = (1, 0), b = (0.9, 0.1), c = (0, 1): a's nearest is b, b's is a, c's is b (cosine 0.110 against 0).
        // Compressed: a moves to (0, 1). a's nearest is now c (original cosine 0, far under a's nearest 0.994): lost. b's is a or
        // c at equal cosine, a by index: kept. c's is a (original cosine 0 against its nearest's 0.110, more than 0.01 apart): lost.
        double[][] original = [[1, 0], [0.9, 0.1], [0, 1]];
        double[][] compressed = [[0, 1], [0.9, 0.1], [0, 1]];
        Assert.Equal(1.0 / 3, KindMetrics.NeighbourAgreement(original, compressed, k: 1)!.Value, 1e-12);

        // A tie: c = (0.0, 1) sits as close to a = (1, 0.05) as to b = (1, 0.0549) within 0.01, so swapping them is forgiven.
        double[][] tied = [[1, 0.05], [1, 0.0549], [0, 1]];
        double[][] swapped = [[1, 0.06], [1, 0.05], [0, 1]];
        Assert.Equal(1.0, KindMetrics.NeighbourAgreement(tied, swapped, k: 1)!.Value, 1e-12);

        Assert.Null(KindMetrics.NeighbourAgreement(original.Take(2).ToList(), compressed.Take(2).ToList()));
    }
}
