using DeepSeek.Engine.Data;
using DeepSeek.Testing;

namespace DeepSeek.Engine.Benchmarks;

/// <summary>Calibration and evaluation folders of photo views (crops at two sizes and their mirror images) for ResNet-18.</summary>
internal static class Photos
{
    public static string Folder(string name, int count)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"deepseek-bench-{name}-{count}");
        if (Directory.Exists(folder) && Directory.GetFiles(folder, "*.npy").Length == count)
        {
            return folder;
        }

        Directory.CreateDirectory(folder);
        var views = TestAssets.Images.Select(PngImage.Load).SelectMany(image => image.Views().Concat(Smaller(image).SelectMany(s => s.Views())));
        var index = 0;
        foreach (var view in views.Take(count))
        {
            NpyWriter.Write(Path.Combine(folder, $"s{index++:D3}.npy"), TensorValue.Create(view.ToNchw(224), 1, 3, 224, 224));
        }

        return folder;
    }

    private static IEnumerable<PngImage> Smaller(PngImage image)
    {
        int w = image.Width * 2 / 3, h = image.Height * 2 / 3;
        yield return image.Crop((image.Width - w) / 2, 0, w, h);
        yield return image.Crop(0, (image.Height - h) / 2, w, h);
    }
}
