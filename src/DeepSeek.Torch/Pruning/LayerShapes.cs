using System.Reflection;
using TorchSharp.Modules;

namespace DeepSeek.Torch.Pruning;

/// <summary>
/// Updates the channel counts TorchSharp keeps beside a layer's weights, which its public API makes read-only and its
/// forward checks (Conv2d refuses an input whose channels differ from <c>in_channels</c>). The fields are those of
/// TorchSharp 0.107, the version DeepSeek.Torch is built against; another layout gives a clear error, not a wrong model.
/// </summary>
internal static class LayerShapes
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic;

    public static void SetChannels(Convolution conv, long inChannels, long outChannels)
    {
        Set(typeof(Convolution), conv, "<in_channels>k__BackingField", inChannels);
        Set(typeof(Convolution), conv, "input_channels", inChannels);
        Set(typeof(Convolution), conv, "<out_channels>k__BackingField", outChannels);
    }

    public static void SetFeatures(NormBase norm, long features) => Set(typeof(NormBase), norm, "<num_features>k__BackingField", features);

    private static void Set(Type type, object target, string field, long value)
    {
        var info = type.GetField(field, Instance)
            ?? throw new NotSupportedException($"this TorchSharp version keeps {type.Name}'s channel count differently ({field} not found); DeepSeek.Torch's structured pruning supports TorchSharp 0.107");
        info.SetValue(target, value);
    }
}
