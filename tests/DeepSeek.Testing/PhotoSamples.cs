using DeepSeek.Engine.Data;

namespace DeepSeek.Testing;

/// <summary>Photo views written as a data folder of 1x3x224x224 .npy samples (ImageNet-normalized), for ResNet-18.</summary>
public static class PhotoSamples
{
    /// <summary>Writes the first <paramref name="limit"/> of <paramref name="views"/> into <paramref name="folder"/> (created); returns it.</summary>
    public static string Write(string folder, IEnumerable<PngImage> views, int limit)
    {
        Directory.CreateDirectory(folder);
        var index = 0;
        foreach (var view in views.Take(limit))
        {
            NpyWriter.Write(Path.Combine(folder, $"sample_{index++:D3}.npy"), TensorValue.Create(view.ToNchw(224), 1, 3, 224, 224));
        }

        return Path.GetFullPath(folder);
    }
}
