using static TorchSharp.torch;

namespace DeepSeek.Torch.V2;

/// <summary>
/// The 2.x training loop, on a TorchSharp optimizer (typically <c>torch.optim.Adam</c>). Migrate to a loop on
/// <see cref="Optim.DeepSeekOptimizer"/>, which keeps AdamW semantics and adds sparse gradients and distributed averaging.
/// </summary>
[Obsolete("Trainer is the 2.x API: write the loop with DeepSeekOptimizer (AdamW semantics; sparseGrad, commBackend)", DiagnosticId = Legacy.MigrationIds.Trainer, UrlFormat = Legacy.MigrationIds.UrlFormat)]
public sealed class Trainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss)
{
    /// <summary>One pass over <paramref name="batches"/>; returns the mean loss.</summary>
    public double TrainEpoch(IEnumerable<(Tensor Input, Tensor Target)> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        model.train();
        double total = 0;
        var count = 0;
        foreach (var (input, target) in batches)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var value = loss(model.forward(input), target);
            value.backward();
            optimizer.step();
            total += value.item<float>();
            count++;
        }

        return count == 0 ? 0 : total / count;
    }
}
