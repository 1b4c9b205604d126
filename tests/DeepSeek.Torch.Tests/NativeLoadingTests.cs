using static TorchSharp.torch;

namespace DeepSeek.Torch.Tests;

public sealed class NativeLoadingTests
{
    [Fact]
    public void TorchSharp_loads_and_computes_on_this_host()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = a.matmul(a);
        Assert.Equal([7f, 10f, 15f, 22f], b.data<float>().ToArray());
    }
}
