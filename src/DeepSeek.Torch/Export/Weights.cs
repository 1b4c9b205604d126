using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Torch.Export;

/// <summary>Reads a module's tensors (parameters, running statistics) as float32, wherever they live and whatever their type.</summary>
internal static class Weights
{
    public static float[] Read(Tensor tensor)
    {
        using var values = tensor.detach().to(ScalarType.Float32, CPU).contiguous();
        return values.data<float>().ToArray();
    }
}
