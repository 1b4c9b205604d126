using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Distributed;

/// <summary>
/// The distributed-training scope of the 3.x API (<c>with DeepSeekDistributed():</c> in the article):
/// <code>using var dist = new DeepSeekDistributed(backend: "gloo");</code> Inside it, a <see cref="Optim.DeepSeekOptimizer"/>
/// created with a <c>commBackend</c> averages gradients across the processes of the job before each step.
/// </summary>
/// <remarks>
/// TorchSharp exposes no collective operations today, so the scope runs one process: <see cref="WorldSize"/> is 1,
/// <see cref="AllReduceMean"/> leaves tensors as they are, and a launch that asks for more processes (<c>WORLD_SIZE</c>
/// above 1) fails with a clear error instead of training each process alone. The API — rank, world size, backend,
/// all-reduce, barrier — is the one a multi-process implementation will fill in.
/// </remarks>
public sealed class DeepSeekDistributed : IDisposable
{
    private static readonly AsyncLocal<DeepSeekDistributed?> Active = new();
    private readonly DeepSeekDistributed? outer;
    private bool disposed;

    /// <summary>Enters the scope.</summary>
    /// <param name="backend"><c>gloo</c> (CPU) or <c>nccl</c> (CUDA devices).</param>
    /// <exception cref="ArgumentException">An unknown backend.</exception>
    /// <exception cref="NotSupportedException"><c>nccl</c> without CUDA, or a launch of more than one process.</exception>
    public DeepSeekDistributed(string backend = "gloo")
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend.ToLowerInvariant() switch
        {
            "gloo" or "nccl" => backend.ToLowerInvariant(),
            _ => throw new ArgumentException($"unknown communication backend '{backend}': use \"gloo\" (CPU) or \"nccl\" (CUDA)", nameof(backend)),
        };

        if (Backend == "nccl" && !cuda.is_available())
        {
            throw new NotSupportedException("the nccl backend needs CUDA devices and none is available — use \"gloo\" on CPU, or a cuda hardware profile");
        }

        var requested = Environment.GetEnvironmentVariable("WORLD_SIZE");
        if (int.TryParse(requested, out var worldSize) && worldSize > 1)
        {
            throw new NotSupportedException($"WORLD_SIZE is {worldSize}, but DeepSeekDistributed runs a single process: TorchSharp exposes no collective operations — launch one process (WORLD_SIZE=1)");
        }

        outer = Active.Value;
        Active.Value = this;
    }

    /// <summary>The scope the current code runs in, or null.</summary>
    public static DeepSeekDistributed? Current => Active.Value;

    /// <summary>The communication backend: <c>gloo</c> or <c>nccl</c>.</summary>
    public string Backend { get; }

    /// <summary>This process's rank: always 0 (single process).</summary>
    public int Rank { get; }

    /// <summary>The number of processes: always 1 (single process).</summary>
    public int WorldSize { get; } = 1;

    /// <summary>Averages <paramref name="tensor"/> in place across the processes (nothing to do for one).</summary>
    public void AllReduceMean(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (WorldSize > 1)
        {
            using var worldSize = WorldSize.ToScalar(); // held: a temporary Scalar can be finalized during the call
            tensor.div_(worldSize);
        }
    }

    /// <summary>Waits for every process (returns at once for one).</summary>
    public void Barrier() => ObjectDisposedException.ThrowIf(disposed, this);

    /// <summary>Leaves the scope.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (ReferenceEquals(Active.Value, this))
        {
            Active.Value = outer;
        }
    }
}
