using System.Diagnostics;
using DeepSeek.Onnx.IO;
using DeepSeek.Testing;

namespace DeepSeek.Onnx.Benchmarks;

/// <summary>
/// <c>--memory</c>: the peak managed memory of a read + write of ResNet-18, bounded from above by the managed heap before
/// the operation plus every byte allocated during it (nothing is freed in between that this bound does not already
/// count), and compared with the model's size. Exit code 1 when the bound exceeds 2x the model.
/// </summary>
internal static class MemoryCheck
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void WarmUp(string path, string output)
    {
        // JIT and type loading, in a frame of its own so that nothing it read stays reachable.
        ModelWriter.Write(ModelReader.Read(path), output);
        File.Delete(output);
    }

    public static int Run()
    {
        var path = TestAssets.ResNet18;
        var size = new FileInfo(path).Length;
        var output = Path.Combine(Path.GetTempPath(), "deepseek-memory-" + Guid.NewGuid().ToString("N") + ".onnx");
        try
        {
            WarmUp(path, output);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var model = ModelReader.Read(path);
            var afterRead = GC.GetTotalMemory(forceFullCollection: false);
            ModelWriter.Write(model, output);
            clock.Stop();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            GC.KeepAlive(model);
            var bound = allocated; // live managed bytes added at any moment ≤ bytes allocated
            Console.WriteLine($"model                      {size / 1e6:F1} MB");
            Console.WriteLine($"managed heap before        {before / 1e6:F1} MB");
            Console.WriteLine($"managed heap after read    {afterRead / 1e6:F1} MB");
            Console.WriteLine($"allocated by read + write  {allocated / 1e6:F1} MB");
            Console.WriteLine($"peak added managed memory  <= {bound / 1e6:F1} MB = {(double)bound / size:F2}x the model (target <= 2x)");
            Console.WriteLine($"one read + write           {clock.Elapsed.TotalMilliseconds:F0} ms = {size / 1e6 / clock.Elapsed.TotalSeconds:F0} MB/s (model size over read + write time)");
            return bound <= 2 * size ? 0 : 1;
        }
        finally
        {
            File.Delete(output);
        }
    }
}
