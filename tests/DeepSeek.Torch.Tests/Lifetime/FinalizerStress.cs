namespace DeepSeek.Torch.Tests.Lifetime;

/// <summary>
/// Runs garbage collections and finalizers back to back on a background thread while the test works, so that a native
/// object (a TorchSharp <c>Tensor</c> or <c>Scalar</c>) whose managed owner is unreachable during a native call is freed
/// during that call, as it is — rarely, and depending on the machine's GC budget — in a real training process.
/// </summary>
internal sealed class FinalizerStress : IDisposable
{
    private readonly Thread thread;
    private volatile bool stop;

    public FinalizerStress()
    {
        thread = new Thread(() =>
        {
            while (!stop)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Collections++;
            }
        })
        { IsBackground = true, Name = "finalizer stress" };
        thread.Start();
    }

    /// <summary>Collections run so far (each followed by the finalizers it queued).</summary>
    public int Collections { get; private set; }

    public void Dispose()
    {
        stop = true;
        thread.Join();
    }
}
