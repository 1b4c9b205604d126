using DeepSeek.Torch.Distributed;

namespace DeepSeek.Torch.V2;

/// <summary>
/// The 2.x distributed launcher: starts the training function once per rank. A thin shim over
/// <see cref="DeepSeekDistributed"/>, which (like it) runs a single process today; migrate to
/// <c>using var dist = new DeepSeekDistributed(backend);</c> around the training loop.
/// </summary>
[Obsolete("DistributedLauncher is the 2.x API: wrap the training loop in 'using var dist = new DeepSeekDistributed(backend);'", DiagnosticId = Legacy.MigrationIds.DistributedLauncher, UrlFormat = Legacy.MigrationIds.UrlFormat)]
public static class DistributedLauncher
{
    /// <summary>Runs <paramref name="train"/> for rank 0 inside a distributed scope.</summary>
    /// <exception cref="NotSupportedException"><paramref name="worldSize"/> is above 1: TorchSharp exposes no collectives.</exception>
    public static void Launch(int worldSize, string backend, Action<int> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        if (worldSize > 1)
        {
            throw new NotSupportedException($"a world of {worldSize} processes was asked for, but DeepSeekDistributed runs a single process: TorchSharp exposes no collective operations — launch with worldSize 1");
        }

        using var scope = new DeepSeekDistributed(backend);
        train(scope.Rank);
    }
}
